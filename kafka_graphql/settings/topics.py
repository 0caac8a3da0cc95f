"""The `[[topics]]` entries: which topics are exposed, to whom, and, for typed topics, the value
schema whose types the API gets. Everything here is checked at start-up so that a bad schema
reference fails before the gateway serves anything; what needs other tables (`[auth]`,
`[schema_registry]`) or other entries is checked with the whole configuration (model.py)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Self

from pydantic import Field, Strict, model_validator

from kafka_graphql.settings.field_rules import FieldMasks, FieldScopes
from kafka_graphql.settings.fields import (
    Matching,
    NotBlank,
    OneOf,
    RelativeFile,
    Scope,
    Table,
    TypeField,
    loading,
    refuse,
)
from kafka_graphql.settings.records import RecordRule

# Value formats of typed topics: UTF-8 JSON, schemaless Avro binary, and Confluent's wire format
# (magic byte 0, a 4-byte big-endian schema id, then Avro binary).
VALUE_FORMATS = ("json", "avro", "avro-confluent")
# `value_schema` naming the registry instead of a file: the latest version of "<topic>-value".
REGISTRY_SCHEMA = "registry"
# The types `deprecated_types` may give a kept field: the scalars its old values can have.
KEPT_FIELD_TYPES = ("String", "Int", "Long", "Float", "Boolean", "DateTime", "JSON")
GLOB_CHARACTERS = "*?["


def _is_graphql_name(text: str) -> bool:
    # Names starting with "__" are reserved for GraphQL's introspection.
    return re.fullmatch(r"[_A-Za-z][_0-9A-Za-z]*", text) is not None and not text.startswith("__")


GraphQLName = Annotated[
    str, Matching("GraphQL name", _is_graphql_name, "{key} must be a valid GraphQL name")
]


Scopes = Annotated[tuple[Scope, ...], Strict(False)]


class TopicRule(Table):
    """A topic exposed through the API: an exact name or a glob pattern (`demo.*`). Setting
    `type` makes it a typed topic: its values follow `value_schema` and get GraphQL types."""

    name: NotBlank
    """an exact topic name, or a glob pattern (`*`, `?`, `[...]`, `[!...]`, as Python's
    `fnmatch`, case-sensitive); a topic gets the entry with its exact name, else the first
    pattern that matches it"""
    partitions: int | None = Field(None, gt=0)
    """exact names only: create the topic at start-up with this many partitions when it is
    missing (replication factor 1, which suits development)"""
    description: str | None = Field(None, json_schema_extra={"unset": "the schema's"})
    """a typed topic's type description (default: the schema's `description` (JSON Schema) or
    `doc` (Avro))"""
    type: GraphQLName | None = None
    """makes the topic typed ([typed-topics.md](typed-topics.md)): the GraphQL type of its
    values, unique across topics"""
    field: GraphQLName | None = Field(None, json_schema_extra={"unset": '`type` + "s"'})
    """the typed topic's root field, unique across topics and not one of the generic API's
    (`topics`, `topic`, `messages`); default `type` with a lower-case first letter plus `s`
    (`OrderLine` → `orderLines`)"""
    value_schema: Annotated[str, RelativeFile(keep=(REGISTRY_SCHEMA,))] | None = None
    """a typed topic's value schema: a JSON Schema or Avro (`.avsc`) file (relative to the
    configuration file's folder), or `"registry"`: the latest version of subject
    `<topic>-value` at start-up"""
    value_format: Annotated[str, OneOf(VALUE_FORMATS)] | None = Field(
        None, json_schema_extra={"unset": '"json"'}
    )
    """`json`: UTF-8 JSON (NaN and infinities refused). `avro`: schemaless Avro binary.
    `avro-confluent`: Confluent's wire format, which is magic byte `0`, then the 4-byte
    big-endian schema id, then Avro binary (it needs `value_schema = "registry"`)"""
    deprecated: Mapping[TypeField, str] = Field(default_factory=dict)
    """`"Type.field" = "reason"`: marks the field `@deprecated`. A field the schema no longer
    has is kept, so that clients that still select it keep working
    ([typed-topics.md](typed-topics.md#schema-evolution))"""
    deprecated_types: Mapping[TypeField, Annotated[str, OneOf(KEPT_FIELD_TYPES)]] = Field(
        default_factory=dict
    )
    """`"Type.field" = "String"`: the type of a kept field (default `JSON`). Only for fields the
    schema dropped; each key must also be in `deprecated`"""
    read_scopes: Scopes | None = Field(None, json_schema_extra={"unset": "the convention"})
    """scopes of which a caller needs one to read the topics the entry matches, instead of the
    `kafka:read:<glob>` convention; an empty list: only `kafka:admin`. Needs `[auth]`
    ([security.md](security.md))"""
    write_scopes: Scopes | None = Field(None, json_schema_extra={"unset": "the convention"})
    """the same for writing, instead of `kafka:write:<glob>`"""
    records: RecordRule | None = None
    """the record-level rule: a caller sees, and may write, only the records whose header, or
    value at a dotted path, equals a string claim of its token; `kafka:admin` is not bound by
    it. Needs `[auth]` ([security.md](security.md#record-level-rules))"""
    field_scopes: FieldScopes = Field(default_factory=dict)
    """`"Type.field" = ["scope", ...]`, where `Type` is one of the topic's value types (`Order`,
    `OrderCustomer`, ...): an operation that selects the field needs one of the scopes (or
    `kafka:admin`), else it is refused with `FORBIDDEN` before anything runs. The field
    carries `@auth(requires: [...])` in the SDL, and the generic API leaves it out of the
    `value` JSON of callers without the scope. Needs `type` and `[auth]`
    ([security.md](security.md#field-level-authorization))"""
    mask: FieldMasks = Field(default_factory=dict)
    """`"Type.field" = "scope"`: the field stays selectable and is `null` for callers without
    the scope (or `kafka:admin`), in the typed API and in the generic API's `value` JSON; it
    is nullable in output types. `rawValue` is `null` for a caller that lacks any scope of the
    topic's `field_scopes` and `mask`. Needs `type` and `[auth]`"""

    @property
    def is_typed(self) -> bool:
        return self.type is not None

    @property
    def is_pattern(self) -> bool:
        return any(c in self.name for c in GLOB_CHARACTERS)

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

    @model_validator(mode="after")
    def _check(self) -> Self:
        if loading() is not None:
            refuse("TopicRule", [((), text) for text in topic_problems(self)])
        return self


def topic_problems(rule: TopicRule) -> list[str]:
    """What is wrong with one `[[topics]]` entry on its own (`{key}`: `topics[i]`)."""
    found: list[str] = []
    if rule.partitions is not None and rule.is_pattern:
        found.append("{key}.partitions needs an exact name, not a pattern")
    if not rule.is_typed:
        for name in ("field", "value_schema", "value_format"):
            if getattr(rule, name) is not None:
                found.append(f"{{key}}.{name} needs {{key}}.type (only typed topics have it)")
        for name in ("deprecated", "deprecated_types"):
            if getattr(rule, name):
                found.append(f"{{key}}.{name} needs {{key}}.type")
        return found
    if rule.is_pattern:
        found.append("{key}.name must be an exact topic name for a typed topic")
    found += _value_schema_problems(rule)
    for target in rule.deprecated_types:
        if target not in rule.deprecated:
            found.append(
                f"{{key}}.deprecated_types key {target!r} must also be in {{key}}.deprecated"
            )
    return found


def _value_schema_problems(rule: TopicRule) -> list[str]:
    if rule.value_schema is None:
        return ['{key}.value_schema is required for a typed topic (a file or "registry")']
    if rule.value_schema == REGISTRY_SCHEMA:
        return []  # that the registry is configured is checked with the whole configuration
    if rule.format == "avro-confluent":
        # Confluent's wire format carries the registry's schema id, so the schema must come from it.
        return ['{key}.value_format avro-confluent needs value_schema = "registry"']
    is_avro_schema = rule.value_schema.endswith(".avsc")
    if rule.format == "avro" and not is_avro_schema:
        return ["{key}.value_format avro needs an Avro schema (.avsc) as value_schema"]
    if rule.format == "json" and is_avro_schema:
        # An Avro schema says how values are written in Avro; JSON values follow a JSON Schema.
        return [
            '{key}.value_schema is an Avro schema: set value_format = "avro" (or use a JSON Schema)'
        ]
    if not Path(rule.value_schema).is_file():
        return [
            f"{{key}}.value_schema file {rule.value_schema} of topic {rule.name} does not exist"
        ]
    return []
