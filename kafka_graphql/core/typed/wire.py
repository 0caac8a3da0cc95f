"""Keys and values in Confluent's wire format (magic byte 0, the writer schema's id, then Avro
binary or JSON) read without a topic's schema, as Confluent's `KafkaAvroDeserializer` and
`KafkaJsonSchemaDeserializer` read them: the writer schema is the registry's under the id in
the bytes (fetched once, then kept), Avro is read with it by the typed topics' reader
(core/typed/codecs.py) and shown in Avro's JSON encoding (a union's branch named, bytes as
ISO-8859-1 text, as Confluent shows them), JSON is read as the generic API reads it
(core/values.py). Bytes that are not such a value raise UndecodableValue; a registry that does
not answer raises its own error (SchemaRegistryUnavailable), so that the read is tried again.
"""

from __future__ import annotations

import io
import json
from collections import OrderedDict
from typing import Any

import fastavro

from kafka_graphql.core.errors import NotFound
from kafka_graphql.core.typed.codecs import (
    CONFLUENT_HEADER,
    UndecodableValue,
    read_datum,
    wire_schema_id,
)
from kafka_graphql.core.typed.registered import SchemaRegistry
from kafka_graphql.core.values import UnreadableJSON, loads_value

AVRO, JSON = "AVRO", "JSON"


def is_wire(data: bytes) -> bool:
    """Whether `data` starts as Confluent's wire format does."""
    return len(data) >= CONFLUENT_HEADER.size and data[0] == 0


class WireValues:
    """Reads wire-format bytes through `registry` (None: none is configured, nothing reads),
    keeping the last `cache_size` writer schemas ready to read with."""

    def __init__(self, registry: SchemaRegistry | None, cache_size: int) -> None:
        self._registry = registry
        self._cache_size = cache_size
        self._writers: OrderedDict[int, tuple[str, Any]] = OrderedDict()

    async def read(self, data: bytes, kind: str) -> object:
        """The JSON value `data` holds, written with a schema of `kind` (AVRO or JSON)."""
        schema_id = wire_schema_id(data)
        writer = await self._writer(schema_id, kind)
        body = data[CONFLUENT_HEADER.size :]
        if kind == JSON:
            try:
                return loads_value(body)
            except UnreadableJSON as error:
                raise UndecodableValue(f"JSON that cannot be delivered: {error}") from None
            except ValueError as error:
                raise UndecodableValue(f"not UTF-8 JSON: {error}") from None
        return _avro_json(writer, read_datum(body, writer, None))

    async def _writer(self, schema_id: int, kind: str) -> Any:
        found = self._writers.get(schema_id)
        if found is None:
            found = await self._fetch(schema_id)
            self._writers[schema_id] = found
            while len(self._writers) > self._cache_size:
                self._writers.popitem(last=False)
        else:
            self._writers.move_to_end(schema_id)
        schema_type, parsed = found
        if schema_type != kind:
            raise UndecodableValue(f"schema id {schema_id} is {schema_type}, not {kind}")
        return parsed

    async def _fetch(self, schema_id: int) -> tuple[str, Any]:
        if self._registry is None:
            raise UndecodableValue("the gateway has no schema registry")
        try:
            registered = await self._registry.by_id(schema_id)
        except NotFound:
            raise UndecodableValue(f"no schema of id {schema_id} in the schema registry") from None
        if registered.schema_type != AVRO:
            return registered.schema_type, None
        try:
            return AVRO, fastavro.parse_schema(json.loads(registered.text))
        except Exception as error:  # noqa: BLE001 - json and fastavro raise several types
            problem = f"schema id {schema_id} is not a valid Avro schema: {error}"
            raise UndecodableValue(problem) from None


def _not_json(name: str) -> object:
    raise UndecodableValue(f"a double or float is {name}, which JSON cannot carry")


def _avro_json(writer: Any, datum: object) -> object:
    """`datum` in Avro's JSON encoding, as JSON."""
    out = io.StringIO()
    try:
        fastavro.json_writer(out, writer, [datum])
    except Exception as error:  # noqa: BLE001 - fastavro fails with many unrelated types
        raise UndecodableValue(f"not a value of its schema: {error}") from None
    return json.loads(out.getvalue(), parse_constant=_not_json)
