"""Confluent's wire format read without a topic's schema (the consumer API's schema formats):
Avro shown in Avro's JSON encoding, JSON as JSON, and every way bytes fail to be such a value
(no magic byte, an unknown id, a schema of the other type, a double JSON cannot carry)."""

from __future__ import annotations

import io
import json
import struct
from typing import Any

import fastavro
import pytest

from kafka_graphql.core.errors import NotFound
from kafka_graphql.core.typed.codecs import UndecodableValue
from kafka_graphql.core.typed.registered import RegisteredSchema
from kafka_graphql.core.typed.wire import WireValues, is_wire

RECORD = {
    "type": "record",
    "name": "R",
    "fields": [
        {"name": "note", "type": ["null", "string"]},
        {"name": "raw", "type": "bytes"},
        {"name": "ratio", "type": "double"},
    ],
}


class Registry:
    def __init__(self) -> None:
        self.asked: list[int] = []

    async def latest(self, subject: str) -> RegisteredSchema:
        raise NotFound(subject)

    async def by_id(self, schema_id: int) -> RegisteredSchema:
        self.asked.append(schema_id)
        if schema_id == 1:
            return RegisteredSchema(1, "AVRO", json.dumps(RECORD))
        if schema_id == 2:
            return RegisteredSchema(2, "JSON", '{"type": "object"}')
        raise NotFound(f"no schema {schema_id}")


def wire(schema_id: int, payload: bytes) -> bytes:
    return struct.pack(">bI", 0, schema_id) + payload


def avro(datum: Any) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(RECORD), datum)
    return out.getvalue()


async def test_avro_in_avros_json_encoding_and_json_as_json() -> None:
    registry = Registry()
    values = WireValues(registry, cache_size=4)
    data = wire(1, avro({"note": "late", "raw": b"\x00\xff", "ratio": 0.5}))
    for _ in range(2):
        shown = await values.read(data, "AVRO")
        assert shown == {"note": {"string": "late"}, "raw": "\u0000\u00ff", "ratio": 0.5}
    assert registry.asked == [1]  # kept once fetched
    assert await values.read(wire(2, b'{"a": [1]}'), "JSON") == {"a": [1]}
    assert is_wire(data) and not is_wire(b"text") and not is_wire(b"\x00ab")


UNREADABLE = {
    "no magic byte": (b'{"a": 1}', "JSON", "no magic byte 0"),
    "an unknown id": (wire(9, b"{}"), "JSON", "no schema of id 9"),
    "a JSON Schema's id for avro": (wire(2, b"{}"), "AVRO", "schema id 2 is JSON, not AVRO"),
    "an Avro schema's id for JSON": (wire(1, b"{}"), "JSON", "schema id 1 is AVRO, not JSON"),
    "bytes that end early": (wire(1, b"\x02"), "AVRO", "not Avro"),
    "JSON that is not": (wire(2, b"{"), "JSON", "not UTF-8 JSON"),
    "a NaN": (
        wire(1, avro({"note": None, "raw": b"", "ratio": float("nan")})),
        "AVRO",
        "JSON cannot carry",
    ),
}


@pytest.mark.parametrize(("data", "kind", "why"), UNREADABLE.values(), ids=UNREADABLE)
async def test_bytes_that_are_no_such_value(data: bytes, kind: str, why: str) -> None:
    with pytest.raises(UndecodableValue, match=why):
        await WireValues(Registry(), cache_size=4).read(data, kind)


async def test_without_a_registry_nothing_reads() -> None:
    with pytest.raises(UndecodableValue, match="no schema registry"):
        await WireValues(None, cache_size=4).read(wire(1, b""), "AVRO")
