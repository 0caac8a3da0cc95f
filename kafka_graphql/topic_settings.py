"""The `[[topics]]` entries and the `[schema_registry]` section of the settings, with their checks.

Typed topics (`type = ...`) carry a value schema that later becomes GraphQL types; everything here
is checked at start-up so that a bad schema reference fails before the gateway serves anything.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kafka_graphql.record_settings import RecordRule


class TopicSettingsError(ValueError):
    """A problem in the topic or registry keys; the message names the key."""


# Value formats of typed topics: UTF-8 JSON, schemaless Avro binary, and Confluent's wire format
# (magic byte 0, a 4-byte big-endian schema id, then Avro binary).
VALUE_FORMATS = ("json", "avro", "avro-confluent")
# `value_schema` naming the registry instead of a file: the latest version of "<topic>-value".
REGISTRY_SCHEMA = "registry"
# The types `deprecated_types` may give a kept field: the scalars its old values can have.
KEPT_FIELD_TYPES = ("String", "Int", "Long", "Float", "Boolean", "DateTime", "JSON")


@dataclass(frozen=True, slots=True)
class TopicRule:
    """A topic exposed through the API: an exact name or a glob pattern (`demo.*`).

    Setting `type` makes it a typed topic: its values follow `value_schema` and get GraphQL types.
    """

    name: str
    # When set on an exact name, the gateway creates the topic at start-up if it is missing.
    partitions: int | None = None
    description: str | None = None
    type: str | None = None
    field: str | None = None
    # A file path (resolved against the configuration file's folder when loaded) or "registry".
    value_schema: str | None = None
    value_format: str | None = None
    # "Type.field" -> deprecation reason: keeps a field the schema dropped, marked @deprecated.
    # (`dataclasses.field`: the key `field` above shadows the bare name in this class body.)
    deprecated: Mapping[str, str] = dataclasses.field(default_factory=dict)
    # "Type.field" -> the GraphQL type of a kept field (one the schema dropped); default JSON.
    deprecated_types: Mapping[str, str] = dataclasses.field(default_factory=dict)
    # Scopes of which a caller needs one to read / write this topic, instead of the convention
    # (kafka:read:<glob> / kafka:write:<glob>, see auth/scopes.py). Needs an [auth] table.
    read_scopes: tuple[str, ...] | None = None
    write_scopes: tuple[str, ...] | None = None
    # The record-level rule (record_settings.py): which records a caller sees and may write.
    records: RecordRule | None = None
    # Field-level authorization of a typed topic's value types (docs/security.md): "Type.field"
    # -> scopes of which a caller needs one to select the field (an @auth directive) ...
    field_scopes: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    # ... and "Type.field" -> the scope without which the field is null (masked). Need [auth].
    mask: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @property
    def is_typed(self) -> bool:
        return self.type is not None

    @property
    def format(self) -> str:
        """The value format, "json" unless configured."""
        return self.value_format or "json"

    @property
    def root_field(self) -> str:
        """The GraphQL root field: `field`, else lower-camel `type` plus "s" (Order -> orders)."""
        if self.field:
            return self.field
        assert self.type is not None, "root_field is only defined for typed topics"
        return self.type[:1].lower() + self.type[1:] + "s"


@dataclass(frozen=True, slots=True)
class SchemaRegistrySettings:
    """A Confluent-compatible Schema Registry API (Confluent, Apicurio's ccompat, Karapace...)."""

    url: str | None = None
    # Basic-auth credentials come from the environment only, so they never sit in a config file.
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    request_timeout_s: float = 10.0
    # Writer schemas kept in memory by id (decoding avro-confluent values looks them up).
    cache_size: int = 1000


def resolve_schema_path(rule: TopicRule, base_dir: Path | None) -> TopicRule:
    """`rule` with a relative schema file made absolute against `base_dir` (default: cwd)."""
    if rule.value_schema in (None, REGISTRY_SCHEMA):
        return rule
    assert rule.value_schema is not None
    resolved = (base_dir or Path.cwd()) / rule.value_schema
    return dataclasses.replace(rule, value_schema=os.path.normpath(resolved))


def validate_schema_registry(registry: SchemaRegistrySettings) -> None:
    """Check `[schema_registry]`; each problem names its key."""
    if registry.url is not None and not re.match(r"https?://[^/]", registry.url):
        raise TopicSettingsError(
            f"schema_registry.url must be an http(s) URL, got {registry.url!r}"
        )
    if registry.request_timeout_s <= 0:
        raise TopicSettingsError("schema_registry.request_timeout_s must be positive")
    if registry.cache_size <= 0:
        raise TopicSettingsError("schema_registry.cache_size must be positive")


def validate_topic_scopes(topics: tuple[TopicRule, ...], has_auth: bool) -> None:
    """Check `read_scopes` / `write_scopes`; each problem names its key."""
    for i, rule in enumerate(topics):
        for name in ("read_scopes", "write_scopes"):
            scopes = getattr(rule, name)
            if scopes is None:
                continue
            if not has_auth:
                # Authorization without authentication would only look like protection.
                raise TopicSettingsError(f"topics[{i}].{name} needs an [auth] table")
            for j, scope in enumerate(scopes):
                if not scope or scope != scope.strip() or " " in scope:
                    raise TopicSettingsError(
                        f"topics[{i}].{name}[{j}] must be a scope without spaces, got {scope!r}"
                    )


GRAPHQL_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")


def _is_graphql_name(text: str) -> bool:
    # Names starting with "__" are reserved for GraphQL's introspection.
    return GRAPHQL_NAME.fullmatch(text) is not None and not text.startswith("__")


def validate_typed_topics(topics: tuple[TopicRule, ...], registry: SchemaRegistrySettings) -> None:
    """Check the typed-topic keys of `[[topics]]`; each problem names its key."""
    types_seen: dict[str, int] = {}
    fields_seen: dict[str, int] = {}
    for i, rule in enumerate(topics):
        key = f"topics[{i}]"
        if not rule.is_typed:
            for name in ("field", "value_schema", "value_format"):
                if getattr(rule, name) is not None:
                    raise TopicSettingsError(
                        f"{key}.{name} needs {key}.type (only typed topics have it)"
                    )
            for name in ("deprecated", "deprecated_types"):
                if getattr(rule, name):
                    raise TopicSettingsError(f"{key}.{name} needs {key}.type")
            continue
        assert rule.type is not None
        if any(c in rule.name for c in "*?["):
            raise TopicSettingsError(f"{key}.name must be an exact topic name for a typed topic")
        if not _is_graphql_name(rule.type):
            raise TopicSettingsError(f"{key}.type must be a valid GraphQL name, got {rule.type!r}")
        if rule.field is not None and not _is_graphql_name(rule.field):
            raise TopicSettingsError(
                f"{key}.field must be a valid GraphQL name, got {rule.field!r}"
            )
        if rule.type in types_seen:
            raise TopicSettingsError(
                f"{key}.type {rule.type!r} is already used by topics[{types_seen[rule.type]}]"
            )
        types_seen[rule.type] = i
        if rule.root_field in fields_seen:
            raise TopicSettingsError(
                f"{key}.field {rule.root_field!r} is already used by "
                f"topics[{fields_seen[rule.root_field]}]"
            )
        fields_seen[rule.root_field] = i
        if rule.format not in VALUE_FORMATS:
            raise TopicSettingsError(
                f"{key}.value_format must be one of {', '.join(VALUE_FORMATS)}, got {rule.format!r}"
            )
        _validate_value_schema(rule, registry, key)
        for target in rule.deprecated:
            if not re.fullmatch(r"[_A-Za-z][_0-9A-Za-z]*\.[_A-Za-z][_0-9A-Za-z]*", target):
                raise TopicSettingsError(f'{key}.deprecated key {target!r} must be "Type.field"')
        for target, type_name in rule.deprecated_types.items():
            if target not in rule.deprecated:
                raise TopicSettingsError(
                    f"{key}.deprecated_types key {target!r} must also be in {key}.deprecated"
                )
            if type_name not in KEPT_FIELD_TYPES:
                raise TopicSettingsError(
                    f"{key}.deprecated_types.{target} must be one of "
                    f"{', '.join(KEPT_FIELD_TYPES)}, got {type_name!r}"
                )


def _validate_value_schema(rule: TopicRule, registry: SchemaRegistrySettings, key: str) -> None:
    if rule.value_schema is None:
        raise TopicSettingsError(
            f'{key}.value_schema is required for a typed topic (a file or "registry")'
        )
    if rule.value_schema == REGISTRY_SCHEMA:
        if registry.url is None:
            raise TopicSettingsError(
                f'{key}.value_schema = "registry" needs schema_registry.url '
                "(or KAFKA_GRAPHQL_SCHEMA_REGISTRY_URL)"
            )
        return
    if rule.format == "avro-confluent":
        # Confluent's wire format carries the registry's schema id, so the schema must come from it.
        raise TopicSettingsError(
            f'{key}.value_format avro-confluent needs value_schema = "registry"'
        )
    is_avro_schema = rule.value_schema.endswith(".avsc")
    if rule.format == "avro" and not is_avro_schema:
        raise TopicSettingsError(
            f"{key}.value_format avro needs an Avro schema (.avsc) as value_schema"
        )
    if rule.format == "json" and is_avro_schema:
        # An Avro schema says how values are written in Avro; JSON values follow a JSON Schema.
        raise TopicSettingsError(
            f'{key}.value_schema is an Avro schema: set value_format = "avro" '
            "(or use a JSON Schema)"
        )
    if not Path(rule.value_schema).is_file():
        raise TopicSettingsError(
            f"{key}.value_schema file {rule.value_schema} of topic {rule.name} does not exist"
        )
