"""Value validation (paths GraphQL-style) and codec round-trips, checked against fastavro itself."""

from __future__ import annotations

import base64
import io
import json
import struct
from datetime import UTC, datetime
from typing import Any

import fastavro
import pytest

from kafka_graphql.core.errors import BadUserInput
from kafka_graphql.core.typed.avro_values import AvroValues
from kafka_graphql.core.typed.codecs import (
    AvroCodec,
    ConfluentAvroCodec,
    JsonCodec,
    UndecodableValue,
)
from kafka_graphql.core.typed.json_values import JsonSchemaValidator
from kafka_graphql.schema_registry.client import SchemaRegistryClient
from kafka_graphql.settings import SchemaRegistrySettings
from tests.unit.typed.helpers import fixture

ORDER: dict[str, Any] = {
    "id": "o-1",
    "placedAt": "2026-01-02T03:04:05Z",
    "status": "PLACED",
    "quantity": 3,
    "customer": {"name": "Ada"},
    "items": [{"sku": "ABC-1", "count": 1}, {"sku": "DEF-2", "count": 2}],
    "payment": {"kind": "card", "last4": "4242"},
}

PAYMENT: dict[str, Any] = {
    "id": "p-1",
    "orderId": "5f0c3a52-3f7e-4a8e-9a57-3c2f3b8d7c11",
    "amountCents": 2**40,
    "attempt": 1,
    "rate": 0.5,
    "ratio": 0.25,
    "captured": True,
    "at": "2026-01-02T03:04:05.123000+00:00",
    "settledAt": "2026-01-02T03:04:05.123456+00:00",
    "signature": base64.b64encode(b"\x00\xffsig").decode(),
    "digest": base64.b64encode(b"abcd").decode(),
    "status": "DONE",
    "previousStatus": None,
    "labels": {"channel": "web"},
    "notes": ["first", None],
    "payer": {"name": "Ada", "email": None},
    "refundedBy": None,
    "method": {"__typename": "Transfer", "iban": "DE00"},
    "history": [],
}


def test_a_valid_json_value_has_no_problems() -> None:
    assert JsonSchemaValidator(fixture("order.schema.json")).validate(ORDER) == []


def test_json_problems_have_graphql_style_paths() -> None:
    bad = {
        **ORDER,
        "placedAt": "yesterday",
        "status": "LOST",
        "items": [*ORDER["items"], {"sku": "nope", "count": 0}],
    }
    del bad["customer"]
    problems = JsonSchemaValidator(fixture("order.schema.json")).validate(bad)
    assert [path for path, _ in problems] == [
        [],
        ["items", 2, "count"],
        ["items", 2, "sku"],
        ["placedAt"],
        ["status"],
    ]
    assert "'customer' is a required property" in problems[0][1]
    assert "0 is less than the minimum of 1" in problems[1][1]


def test_json_datetimes_need_an_offset() -> None:
    validator = JsonSchemaValidator(fixture("order.schema.json"))
    assert validator.validate({**ORDER, "placedAt": "2026-01-02T03:04:05+02:00"}) == []
    assert [p for p, _ in validator.validate({**ORDER, "placedAt": "2026-01-02T03:04:05"})] == [
        ["placedAt"]
    ]


def test_draft7_schemas_validate_with_draft7_rules() -> None:
    validator = JsonSchemaValidator(fixture("tree.draft7.schema.json"))
    tree = {"root": {"label": "a", "children": [{"label": "b", "weight": 10}]}}
    assert validator.validate(tree) == [
        (["root", "children", 0, "weight"], "10 is greater than or equal to the maximum of 10")
    ]


async def test_json_codec_round_trip_and_refusals() -> None:
    codec = JsonCodec()
    data = codec.encode(ORDER)
    assert json.loads(data) == ORDER
    assert await codec.decode(data) == ORDER
    assert codec.encode({"name": "Zoë"}) == '{"name":"Zoë"}'.encode()
    with pytest.raises(BadUserInput, match="not JSON"):
        codec.encode({"x": float("nan")})
    with pytest.raises(UndecodableValue, match="not UTF-8 JSON"):
        await codec.decode(b"\xff{")


def test_avro_validation_paths() -> None:
    values = AvroValues(fixture("payment.avsc"))
    assert values.validate(PAYMENT) == []
    bad = {
        **PAYMENT,
        "attempt": 2**31,
        "captured": 1,
        "at": "2026-01-02",
        "signature": "not base64!",
        "digest": base64.b64encode(b"abc").decode(),
        "status": "LOST",
        "notes": ["ok", 3],
        "method": {"iban": "DE00"},
        "extra": 1,
        "payer": {},
    }
    problems = dict((tuple(path), message) for path, message in values.validate(bad))
    assert problems == {
        ("extra",): "'extra' is not a field of PaymentRecord",
        ("attempt",): "2147483648 is not a valid Avro int",
        ("captured",): "1 is not a valid Avro boolean",
        ("at",): "'2026-01-02' has no UTC offset (add Z or +hh:mm)",
        ("signature",): "expected a base64 string",
        ("digest",): "expected 4 bytes, got 3",
        ("status",): "'LOST' is not one of PENDING, DONE",
        ("notes", 1): "3 is not a valid Avro string",
        ("payer", "name"): "is required",
        ("method",): "__typename must be one of Card, Transfer",
    }


async def test_avro_codec_writes_what_fastavro_reads() -> None:
    schema = fixture("payment.avsc")
    codec = AvroCodec(AvroValues(schema))
    data = codec.encode(PAYMENT)
    raw = fastavro.schemaless_reader(io.BytesIO(data), fastavro.parse_schema(schema), None)
    assert isinstance(raw, dict)
    assert raw["at"] == datetime(2026, 1, 2, 3, 4, 5, 123000, tzinfo=UTC)
    assert raw["signature"] == b"\x00\xffsig"
    assert raw["digest"] == b"abcd"
    assert raw["amountCents"] == 2**40
    assert raw["method"] == {"iban": "DE00"}
    assert await codec.decode(data) == PAYMENT


async def test_avro_codec_reads_what_fastavro_writes() -> None:
    schema = fixture("payment.avsc")
    raw = {
        **PAYMENT,
        "at": datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC),
        "settledAt": None,
        "signature": b"\x01",
        "digest": b"wxyz",
        "method": ("com.shop.payments.Card", {"last4": "4242"}),
    }
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, fastavro.parse_schema(schema), raw)
    decoded = await AvroCodec(AvroValues(schema)).decode(buffer.getvalue())
    assert isinstance(decoded, dict)
    assert decoded["at"] == "2026-05-06T07:08:09+00:00"
    assert decoded["signature"] == "AQ=="
    assert decoded["digest"] == base64.b64encode(b"wxyz").decode()
    assert decoded["method"] == {"__typename": "Card", "last4": "4242"}
    assert decoded["orderId"] == PAYMENT["orderId"]


async def test_avro_codec_refuses_invalid_values_and_bytes() -> None:
    codec = AvroCodec(AvroValues(fixture("payment.avsc")))
    with pytest.raises(BadUserInput) as raised:
        codec.encode({**PAYMENT, "attempt": "one"})
    assert raised.value.extensions["problems"] == [
        {"path": ["attempt"], "message": "'one' is not a valid Avro int"}
    ]
    with pytest.raises(UndecodableValue, match="not Avro of this topic's schema"):
        await codec.decode(b"\x02")


async def test_avro_bytes_of_another_schema_are_refused_when_detectable() -> None:
    """Schemaless Avro does not say which schema wrote it: bytes too short for the topic's schema,
    or with bytes left over after its value, were written with another one."""
    old = {"type": "record", "name": "R", "fields": [{"name": "id", "type": "string"}]}
    count = {"name": "n", "type": "long"}
    new = {**old, "fields": [*old["fields"], count]}
    written = io.BytesIO()
    fastavro.schemaless_writer(written, fastavro.parse_schema(new), {"id": "a", "n": 5})
    with pytest.raises(UndecodableValue, match="1 bytes left over after the value"):
        await AvroCodec(AvroValues(old)).decode(written.getvalue())
    short = io.BytesIO()
    fastavro.schemaless_writer(short, fastavro.parse_schema(old), {"id": "a"})
    with pytest.raises(UndecodableValue, match="the bytes end before the value does"):
        await AvroCodec(AvroValues(new)).decode(short.getvalue())
    # A field whose type changed from string to long: read as a long, "five" is left over.
    changed = {**old, "fields": [*old["fields"], {"name": "n", "type": "string"}]}
    retyped = io.BytesIO()
    fastavro.schemaless_writer(retyped, fastavro.parse_schema(changed), {"id": "a", "n": "five"})
    with pytest.raises(UndecodableValue, match="4 bytes left over"):
        await AvroCodec(AvroValues(new)).decode(retyped.getvalue())


async def test_confluent_codec_frames_values_with_the_schema_id() -> None:
    schema = {"type": "record", "name": "P", "fields": [{"name": "id", "type": "string"}]}
    settings = SchemaRegistrySettings(url="http://127.0.0.1:9/unused")
    async with SchemaRegistryClient(settings) as registry:
        codec = ConfluentAvroCodec(AvroValues(schema), 7, registry)
        data = codec.encode({"id": "x"})
        assert data[:5] == struct.pack(">bI", 0, 7)
        body = fastavro.schemaless_reader(io.BytesIO(data[5:]), fastavro.parse_schema(schema), None)
        assert body == {"id": "x"}
        # Its own id needs no registry call (the registry URL above answers nothing).
        assert await codec.decode(data) == {"id": "x"}
        with pytest.raises(UndecodableValue, match="magic byte"):
            await codec.decode(b"\x01\x00\x00\x00\x07\x02x")
