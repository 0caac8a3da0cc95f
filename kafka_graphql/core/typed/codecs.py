"""Bytes on the topic <-> plain values, one codec per value format.

`encode` takes a plain value that passed validation and refuses (BadUserInput, with the problems)
one that did not. `decode` is async because `avro-confluent` may have to fetch the writer schema.
"""

from __future__ import annotations

import io
import json
import struct
from collections.abc import Callable
from typing import Any, Protocol

import fastavro

from kafka_graphql.core.errors import BadUserInput
from kafka_graphql.core.typed.avro_values import AvroValues, NotFinite
from kafka_graphql.core.typed.registered import SchemaRegistry
from kafka_graphql.core.values import UnreadableJSON, loads_value

# Confluent's wire format: magic byte 0, then the writer schema's id as a big-endian uint32.
CONFLUENT_HEADER = struct.Struct(">bI")
# (value read into the topic's schema, the same bytes read with the writer's schema alone) ->
# the value to serve (core/typed/kept.py puts back the fields the topic's schema dropped).
Graft = Callable[[object, object], object]


class UndecodableValue(ValueError):
    """A record's bytes do not follow the topic's value format."""


class WriterSchemaNeeded(LookupError):
    """`decode_now` met a writer schema id that is not cached yet: `await decode()` fetches it."""


class ValueCodec(Protocol):
    def encode(self, value: object) -> bytes: ...

    async def decode(self, data: bytes) -> object: ...

    def decode_now(self, data: bytes) -> object:
        """`decode` without any I/O (filters run synchronously in the Kafka layer); raises
        WriterSchemaNeeded when only `decode` can do it."""
        ...


class JsonCodec:
    """UTF-8 JSON; NaN and infinities are refused (they are not JSON)."""

    def encode(self, value: object) -> bytes:
        try:
            text = json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
        except (TypeError, ValueError) as error:
            raise BadUserInput(f"value is not JSON: {error}") from None
        return text.encode("utf-8")

    async def decode(self, data: bytes) -> object:
        return self.decode_now(data)

    def decode_now(self, data: bytes) -> object:
        # As the generic API reads values (core/values.py): the same JSON, the same limits.
        try:
            return loads_value(data)
        except UnreadableJSON as error:
            raise UndecodableValue(f"JSON that cannot be delivered: {error}") from None
        except ValueError as error:  # UnicodeDecodeError is a ValueError too
            raise UndecodableValue(f"not UTF-8 JSON: {error}") from None


class AvroCodec:
    """Schemaless Avro binary written and read with the topic's one schema."""

    def __init__(self, values: AvroValues) -> None:
        self.values = values

    def encode(self, value: object) -> bytes:
        buffer = io.BytesIO()
        buffer.write(self._prefix())
        fastavro.schemaless_writer(buffer, self.values.parsed, _datum(self.values, value))
        return buffer.getvalue()

    def _prefix(self) -> bytes:
        return b""

    async def decode(self, data: bytes) -> object:
        return self.decode_now(data)

    def decode_now(self, data: bytes) -> object:
        return self.read(data, self.values.parsed)

    def read(self, data: bytes, writer: Any) -> object:
        """Reads with `writer` (the schema the bytes were written with) into the topic's schema."""
        return _plain(self.values, read_datum(data, writer, self.values.parsed))


class ConfluentAvroCodec(AvroCodec):
    """Confluent's wire format: writes with the topic's registry schema id, reads any writer
    schema by the id in the value (fetched from the registry once, then cached)."""

    def __init__(
        self,
        values: AvroValues,
        schema_id: int,
        registry: SchemaRegistry,
        graft: Graft | None = None,
    ) -> None:
        super().__init__(values)
        self.schema_id = schema_id
        self.registry = registry
        self.graft = graft
        self._writers: dict[int, Any] = {schema_id: values.parsed}

    def _prefix(self) -> bytes:
        return CONFLUENT_HEADER.pack(0, self.schema_id)

    async def decode(self, data: bytes) -> object:
        schema_id = wire_schema_id(data)
        if schema_id not in self._writers:
            registered = await self.registry.by_id(schema_id)
            if registered.schema_type != "AVRO":
                raise UndecodableValue(f"schema id {schema_id} is not an Avro schema")
            try:
                writer = fastavro.parse_schema(json.loads(registered.text))
            except Exception as error:  # noqa: BLE001 - json and fastavro raise several types
                raise UndecodableValue(
                    f"schema id {schema_id} is not a valid Avro schema: {_why(error)}"
                ) from None
            self._writers[schema_id] = writer
        return self.decode_now(data)

    def decode_now(self, data: bytes) -> object:
        schema_id = wire_schema_id(data)
        writer = self._writers.get(schema_id)
        if writer is None:
            raise WriterSchemaNeeded(schema_id)
        body = data[CONFLUENT_HEADER.size :]
        value = self.read(body, writer)
        if self.graft is None or schema_id == self.schema_id:
            return value
        # Another writer schema: it may carry kept fields that resolution just dropped.
        return self.graft(value, _plain(self.values, read_datum(body, writer, None)))


def read_datum(data: bytes, writer: Any, reader: Any) -> object:
    """The datum of `data` written with `writer`, resolved into `reader` (None: read as written).

    Every byte must belong to the value: bytes left over mean it was written with a schema other
    than `writer` (schemaless Avro does not say which), and what was read is not to be trusted.
    """
    stream = io.BytesIO(data)
    try:
        datum = fastavro.schemaless_reader(
            stream,
            writer,
            reader,
            return_record_name=True,
            return_record_name_override=True,
        )
    except Exception as error:  # noqa: BLE001 - fastavro fails with many unrelated types
        raise UndecodableValue(f"not Avro of this topic's schema: {_why(error)}") from None
    left = len(data) - stream.tell()
    if left:
        raise UndecodableValue(
            f"not Avro of this topic's schema: {left} bytes left over after the value"
        )
    return datum


def _plain(values: AvroValues, datum: object) -> object:
    try:
        return values.from_avro(datum)
    except NotFinite as error:
        raise UndecodableValue(f"not a value JSON can carry: {error}") from None


def _why(error: Exception) -> str:
    if isinstance(error, EOFError):  # fastavro's has no message of its own
        return "the bytes end before the value does"
    return str(error) or type(error).__name__


def wire_schema_id(data: bytes) -> int:
    if len(data) < CONFLUENT_HEADER.size or data[0] != 0:
        raise UndecodableValue("not in Confluent's wire format (no magic byte 0)")
    _magic, schema_id = CONFLUENT_HEADER.unpack_from(data)
    return int(schema_id)


def _datum(values: AvroValues, value: object) -> object:
    datum, problems = values.to_avro(value)
    if problems:
        raise BadUserInput(
            "value does not match the topic's schema",
            problems=[{"path": path, "message": message} for path, message in problems],
        )
    return datum
