"""The one settings object (pydantic-settings): a TOML file, then the environment, validated once
at start-up, every problem naming its key (docs/configuration.md).

A module per table (`auth.py`, `limits.py`, `kafka.py`, ...) builds on this package's blocks
(fields.py), and the whole model (model.py) needs every table: so the names below that need the
whole model are imported on first use, not when this package is, and a table's module may be
imported alone.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from kafka_graphql.settings.errors import SettingsError
from kafka_graphql.settings.fields import Scope, TypeField

if TYPE_CHECKING:
    from kafka_graphql.settings.auth import AuthSettings
    from kafka_graphql.settings.environment import ENVIRONMENT_ONLY, ENVIRONMENT_OVERRIDES
    from kafka_graphql.settings.grpc import GrpcSettings
    from kafka_graphql.settings.kafka import KafkaSettings
    from kafka_graphql.settings.limits import LimitsSettings
    from kafka_graphql.settings.loading import (
        DEFAULT_CONFIG_FILE,
        load_settings,
        settings_from_mapping,
    )
    from kafka_graphql.settings.logs import LoggingSettings
    from kafka_graphql.settings.metrics import MetricsSettings
    from kafka_graphql.settings.model import Settings, production_problems
    from kafka_graphql.settings.records import RecordRule
    from kafka_graphql.settings.registry import SchemaRegistrySettings
    from kafka_graphql.settings.rest import RestSettings
    from kafka_graphql.settings.server import PRODUCTION, ServerSettings
    from kafka_graphql.settings.topics import REGISTRY_SCHEMA, TopicRule
    from kafka_graphql.settings.tracing import TracingSettings

_HOMES = {
    "AuthSettings": "kafka_graphql.settings.auth",
    "LimitsSettings": "kafka_graphql.settings.limits",
    "ENVIRONMENT_ONLY": "kafka_graphql.settings.environment",
    "ENVIRONMENT_OVERRIDES": "kafka_graphql.settings.environment",
    "GrpcSettings": "kafka_graphql.settings.grpc",
    "KafkaSettings": "kafka_graphql.settings.kafka",
    "LoggingSettings": "kafka_graphql.settings.logs",
    "DEFAULT_CONFIG_FILE": "kafka_graphql.settings.loading",
    "load_settings": "kafka_graphql.settings.loading",
    "settings_from_mapping": "kafka_graphql.settings.loading",
    "MetricsSettings": "kafka_graphql.settings.metrics",
    "Settings": "kafka_graphql.settings.model",
    "production_problems": "kafka_graphql.settings.model",
    "RecordRule": "kafka_graphql.settings.records",
    "SchemaRegistrySettings": "kafka_graphql.settings.registry",
    "RestSettings": "kafka_graphql.settings.rest",
    "PRODUCTION": "kafka_graphql.settings.server",
    "ServerSettings": "kafka_graphql.settings.server",
    "REGISTRY_SCHEMA": "kafka_graphql.settings.topics",
    "TopicRule": "kafka_graphql.settings.topics",
    "TracingSettings": "kafka_graphql.settings.tracing",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)


__all__ = [
    "DEFAULT_CONFIG_FILE",
    "ENVIRONMENT_ONLY",
    "ENVIRONMENT_OVERRIDES",
    "PRODUCTION",
    "REGISTRY_SCHEMA",
    "AuthSettings",
    "GrpcSettings",
    "KafkaSettings",
    "LimitsSettings",
    "LoggingSettings",
    "MetricsSettings",
    "RecordRule",
    "RestSettings",
    "SchemaRegistrySettings",
    "Scope",
    "ServerSettings",
    "Settings",
    "SettingsError",
    "TopicRule",
    "TracingSettings",
    "TypeField",
    "load_settings",
    "production_problems",
    "settings_from_mapping",
]
