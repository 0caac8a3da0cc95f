"""Start-up: each typed topic's schema (file or registry) -> its model, validator and codec."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kafka_graphql.core.errors import GatewayError
from kafka_graphql.core.typed.avro import avro_model
from kafka_graphql.core.typed.avro_values import AvroValues
from kafka_graphql.core.typed.codecs import AvroCodec, ConfluentAvroCodec, JsonCodec, ValueCodec
from kafka_graphql.core.typed.deprecations import apply_deprecations
from kafka_graphql.core.typed.errors import SchemaProblem
from kafka_graphql.core.typed.json_schema import json_schema_model
from kafka_graphql.core.typed.json_values import JsonSchemaValidator
from kafka_graphql.core.typed.kept import KeptFields
from kafka_graphql.core.typed.model import TypeModel
from kafka_graphql.core.typed.problems import ValueValidator
from kafka_graphql.core.typed.registered import SchemaRegistry
from kafka_graphql.settings import REGISTRY_SCHEMA, TopicRule


@dataclass(frozen=True, slots=True)
class TypedTopic:
    """Everything the GraphQL binder needs about one typed topic."""

    rule: TopicRule
    model: TypeModel
    validator: ValueValidator
    codec: ValueCodec
    # The schema as messages name it: a file path, or `registry subject <topic>-value (id N)`.
    source: str
    # The registry's id of the schema in use (`value_schema = "registry"`), else None.
    schema_id: int | None = None
    # Fields the schema dropped that `deprecated` keeps; None when there are none.
    kept: KeptFields | None = None


async def load_typed_topics(
    rules: tuple[TopicRule, ...], registry: SchemaRegistry | None
) -> dict[str, TypedTopic]:
    """Every typed topic by name; fails on the first schema problem. (Names two topics generate
    are checked against each other with the GraphQL names, by graphql/schema/typed/clashes.py.)"""
    return {rule.name: await load_typed_topic(rule, registry) for rule in rules if rule.is_typed}


async def load_typed_topic(rule: TopicRule, registry: SchemaRegistry | None) -> TypedTopic:
    """One typed topic; `registry` is needed when its schema is "registry"."""
    assert rule.type is not None, "only typed topics"
    assert rule.value_schema is not None, "the settings require it for typed topics"
    schema_id = None
    if rule.value_schema == REGISTRY_SCHEMA:
        subject = f"{rule.name}-value"
        source = f"registry subject {subject}"
        if registry is None:
            raise SchemaProblem(rule.name, source, "", "no schema registry is configured")
        try:
            registered = await registry.latest(subject)
        except GatewayError as error:
            raise SchemaProblem(rule.name, source, "", error.message) from None
        schema_id, text = registered.id, registered.text
        source = f"{source} (id {schema_id})"
        if registered.schema_type not in ("AVRO", "JSON"):
            raise SchemaProblem(
                rule.name, source, "", f"schemaType {registered.schema_type} is not supported"
            )
        is_avro = registered.schema_type == "AVRO"
    else:
        source = _display(rule.value_schema)
        try:
            # Start-up only, before anything is served: a blocking read is fine here.
            text = Path(rule.value_schema).read_text(encoding="utf-8")  # noqa: ASYNC240
        except OSError as error:
            raise SchemaProblem(rule.name, source, "", f"cannot be read: {error}") from None
        is_avro = rule.value_schema.endswith(".avsc")
    document = _parse(rule.name, source, text)
    if is_avro != (rule.format != "json"):
        wanted = "an Avro schema" if is_avro else "a JSON Schema"
        raise SchemaProblem(
            rule.name, source, "", f"value_format {rule.format} does not fit {wanted}"
        )
    build = avro_model if is_avro else json_schema_model
    model = build(rule.name, rule.type, document, source, rule.description)
    model = apply_deprecations(model, rule.deprecated, rule.name, source, rule.deprecated_types)
    kept = KeptFields(model) or None
    if not is_avro:
        validator = JsonSchemaValidator(document)
        return TypedTopic(rule, model, validator, JsonCodec(), source, schema_id, kept)
    values = AvroValues(document)
    graft = kept.graft if kept else None
    if rule.format == "avro-confluent":
        assert registry is not None
        assert schema_id is not None
        codec = ConfluentAvroCodec(values, schema_id, registry, graft)
        return TypedTopic(rule, model, values, codec, source, schema_id, kept)
    return TypedTopic(rule, model, values, AvroCodec(values), source, schema_id, kept)


def _parse(topic: str, source: str, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise SchemaProblem(topic, source, "", f"not valid JSON: {error}") from None


def _display(path: str) -> str:
    """The path as short as it reads well: relative to the working folder when inside it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative
