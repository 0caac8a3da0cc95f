"""v2's schema formats (avro, jsonschema): a request's key and value schemas resolved through the
configured schema registry, and each key and value turned into Confluent's wire format (magic
byte 0, the schema's id, then Avro binary or JSON).

A schema is named by its id (`value_schema_id`), or given as text (`value_schema`), which must be
registered under the topic's subject (`<topic>-value`, `<topic>-key`): the gateway reads the
registry, it never writes it. A schema that cannot be had or used is refused with 42205; a value
Avro cannot take with 42203 (Confluent's JSON conversion failure), one a JSON Schema refuses with
42206 and the field's path.
"""

from __future__ import annotations

import io
import json
import struct
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import fastavro
import jsonschema
from fastavro.validation import ValidationError as AvroValidationError

from kafka_graphql.core.errors import NotFound
from kafka_graphql.core.typed.json_schema import validator_class
from kafka_graphql.core.typed.json_values import JsonSchemaValidator
from kafka_graphql.core.typed.records import problem_text
from kafka_graphql.core.typed.registered import RegisteredSchema
from kafka_graphql.core.values import encode_value
from kafka_graphql.rest.content_types import EmbeddedFormat
from kafka_graphql.rest.errors import RestError
from kafka_graphql.schema_registry.client import SchemaRegistryClient

INVALID_SCHEMA = 42205
JSON_CONVERSION_FAILED = 42203
INVALID_VALUE = 42206
CONFLUENT_HEADER = struct.Struct(">bI")
REGISTRY_TYPES = {EmbeddedFormat.AVRO: "AVRO", EmbeddedFormat.JSONSCHEMA: "JSON"}
# What Avro's JSON reader may raise on JSON that is not of the schema's shape.
_NOT_AVRO_JSON = (
    ValueError,
    TypeError,
    AttributeError,
    KeyError,
    IndexError,
    StopIteration,
    AvroValidationError,
)


@dataclass(frozen=True, slots=True)
class WireSchema:
    """A registered schema, and how it writes one key or value (`where` names it in refusals)."""

    id: int
    payload: Callable[[object, str], bytes]

    def encode(self, value: object, where: str) -> bytes:
        return CONFLUENT_HEADER.pack(0, self.id) + self.payload(value, where)


class RequestSchemas:
    """Resolves the schemas requests name, through the registry (None: none configured), and
    keeps the last `cache_size` of them ready to write with (a schema's id never changes what it
    names, and a registered schema keeps its id)."""

    def __init__(self, registry: SchemaRegistryClient | None, cache_size: int) -> None:
        self._registry = registry
        self._cache_size = cache_size
        self._by_id: OrderedDict[tuple[int, EmbeddedFormat], WireSchema] = OrderedDict()
        self._ids: OrderedDict[tuple[str, str, str], int] = OrderedDict()

    async def of(
        self, body: Mapping[str, Any], embedded: EmbeddedFormat, topic: str
    ) -> tuple[WireSchema | None, WireSchema | None]:
        """The request's key schema and value schema (None where it names none)."""
        return (
            await self._schema(body, "key", embedded, topic),
            await self._schema(body, "value", embedded, topic),
        )

    async def _schema(
        self, body: Mapping[str, Any], part: str, embedded: EmbeddedFormat, topic: str
    ) -> WireSchema | None:
        schema_id, text = body.get(f"{part}_schema_id"), body.get(f"{part}_schema")
        if schema_id is None and text is None:
            return None
        if schema_id is not None and type(schema_id) is not int:
            raise _invalid(f"{part}_schema_id must be an integer")
        if schema_id is None and not isinstance(text, str):
            raise _invalid(f"{part}_schema must be a schema as a string")
        if self._registry is None:
            raise _invalid("the gateway has no schema registry (schema_registry.url)")
        kind = REGISTRY_TYPES[embedded]
        if schema_id is None:
            assert isinstance(text, str)
            schema_id = await self._id_of(self._registry, f"{topic}-{part}", text, kind)
        cached = self._by_id.get((schema_id, embedded))
        if cached is not None:
            self._by_id.move_to_end((schema_id, embedded))
            return cached
        try:
            registered = await self._registry.by_id(schema_id)
        except NotFound:
            raise _invalid(f"no schema of id {schema_id} in the schema registry") from None
        if registered.schema_type != kind:
            raise _invalid(f"schema id {registered.id} is {registered.schema_type}, not {kind}")
        wire = _wire(registered, embedded)
        _keep(self._by_id, (schema_id, embedded), wire, self._cache_size)
        return wire

    async def _id_of(
        self, registry: SchemaRegistryClient, subject: str, text: str, kind: str
    ) -> int:
        key = (subject, text, kind)
        known = self._ids.get(key)
        if known is not None:
            self._ids.move_to_end(key)
            return known
        try:
            registered = await registry.lookup(subject, text, kind)
        except NotFound:
            raise _invalid(
                f"this schema is not registered under subject {subject}: the gateway reads the "
                "schema registry and never writes it (register it, or send its id)"
            ) from None
        _keep(self._ids, key, registered.id, self._cache_size)
        return registered.id


def _keep(cache: OrderedDict[Any, Any], key: Any, value: Any, size: int) -> None:
    cache[key] = value
    while len(cache) > size:
        cache.popitem(last=False)


def _wire(registered: RegisteredSchema, embedded: EmbeddedFormat) -> WireSchema:
    try:
        document = json.loads(registered.text)
    except ValueError:
        raise _invalid(f"schema id {registered.id} is not JSON") from None
    if embedded is EmbeddedFormat.AVRO:
        return WireSchema(registered.id, _avro_payload(registered.id, document))
    return WireSchema(registered.id, _json_payload(registered.id, document))


def _avro_payload(schema_id: int, document: Any) -> Callable[[object, str], bytes]:
    try:
        parsed = fastavro.parse_schema(document)
    except (ValueError, TypeError, KeyError, fastavro.schema.SchemaParseException) as error:
        raise _invalid(f"schema id {schema_id} is not an Avro schema: {error}") from None

    def payload(value: object, where: str) -> bytes:
        # Avro's JSON encoding (a union's branch named, bytes as text): Confluent's reading.
        try:
            datum = next(fastavro.json_reader(io.StringIO(json.dumps(value)), parsed))
            fastavro.validation.validate(datum, parsed, raise_errors=True)
            out = io.BytesIO()
            fastavro.schemaless_writer(out, parsed, datum)
        except _NOT_AVRO_JSON as error:
            raise RestError(
                422,
                f"Conversion of JSON to Object failed: {where} is not a value of schema id "
                f"{schema_id}: {str(error)[:200]}",
                JSON_CONVERSION_FAILED,
            ) from None
        return out.getvalue()

    return payload


def _json_payload(schema_id: int, document: Any) -> Callable[[object, str], bytes]:
    cls = validator_class(document) if isinstance(document, dict) else None
    if cls is None:
        raise _invalid(f"schema id {schema_id} is not JSON Schema draft 2020-12 or draft-07")
    try:
        cls.check_schema(document)
    except jsonschema.SchemaError as error:
        raise _invalid(f"schema id {schema_id}: {error.message}") from None
    validator = JsonSchemaValidator(document)

    def payload(value: object, where: str) -> bytes:
        problems = validator.validate(value)
        if problems:
            raise RestError(
                422,
                f"{where} does not match schema id {schema_id}: {problem_text(problems[0])}",
                INVALID_VALUE,
            )
        return encode_value(value)

    return payload


def _invalid(problem: str) -> RestError:
    return RestError(422, f"Invalid schema: {problem}", INVALID_SCHEMA)
