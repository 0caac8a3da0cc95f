"""What the app holds for its faces, under typed keys (aiohttp's `web.AppKey`): made by the
composition root (server.py), read by the faces' handlers."""

from __future__ import annotations

import weakref

from aiohttp import web

from kafka_graphql.core.cursor import CursorSealer
from kafka_graphql.core.gateway import Core
from kafka_graphql.core.kafka_layer import KafkaLayer
from kafka_graphql.core.limits.registry import LimitsRegistry
from kafka_graphql.core.telemetry import Telemetry
from kafka_graphql.core.topics import TopicRegistry
from kafka_graphql.core.typed.records import TypedRecords
from kafka_graphql.http.authenticator import Authenticator
from kafka_graphql.schema_registry.client import SchemaRegistryClient
from kafka_graphql.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
# A protocol is no class to check against: the key is typed by annotation instead.
KAFKA: web.AppKey[KafkaLayer] = web.AppKey("kafka")
TOPICS = web.AppKey("topics", TopicRegistry)
# Every open WebSocket, closed as "going away" at shutdown.
WEBSOCKETS = web.AppKey("websockets", weakref.WeakSet[web.WebSocketResponse])
TYPED = web.AppKey("typed", dict[str, TypedRecords])
# The schema registry's client, when `schema_registry.url` is set (from start-up on).
REGISTRY = web.AppKey("registry", SchemaRegistryClient)
# Only when `[auth]` is on.
AUTHENTICATOR = web.AppKey("authenticator", Authenticator)
LIMITS = web.AppKey("limits", LimitsRegistry)
CURSORS = web.AppKey("cursors", CursorSealer)
# What the gateway reports about itself (core/telemetry.py): the sinks the settings turn on.
TELEMETRY = web.AppKey("telemetry", Telemetry)
# The request's id (`X-Request-ID`, http/request_id.py), under this key of the aiohttp request.
REQUEST_ID = web.RequestKey("request_id", str)


def core_of(app: web.Application) -> Core:
    """What a call into the core needs (core/gateway.py), from what the app holds."""
    typed: dict[str, TypedRecords] = app[TYPED]
    return Core(
        settings=app[SETTINGS],
        kafka=app[KAFKA],
        topics=app[TOPICS],
        cursors=app[CURSORS],
        typed=typed,
        limits=app[LIMITS],
        telemetry=app[TELEMETRY],
    )
