"""Avro typed topics end to end: a schema file (schemaless Avro) and a registry-backed topic
(Confluent's wire format) whose second schema version, registered mid-test, is decoded by id.
The bytes on the topic are read with a raw consumer and checked with fastavro."""

from __future__ import annotations

import io
import json
import os
import struct
from typing import Any

import aiohttp
import fastavro
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from tests.clients import LEGACY_WS, TRANSPORT_WS, GraphQLClient
from tests.integration.helpers import history
from tests.integration.test_schema_registry import register
from tests.integration.typed import ENVELOPE, PAYMENT, SCHEMAS, create_topic, typed_gateway

PRODUCE_PAYMENT = """
mutation($value: PaymentInput!) { producePayment(value: $value) { partition offset } }"""

PAYMENTS = f"""
query {{ payments(first: 40) {{ edges {{ node {{ {ENVELOPE}
  value {{ id amountCents at status labels notes payer {{ name }} digest
           method {{ __typename ... on Transfer {{ iban }} ... on Card {{ last4 }} }} }}
}} }} }} }}"""


async def raw_records(bootstrap: str, topic: str, count: int) -> list[bytes]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        consumer.seek(tp, 0)
        values: list[bytes] = []
        while len(values) < count:
            batch = await consumer.getmany(tp, timeout_ms=1000)
            values += [r.value for r in batch.get(tp, [])]
        return values
    finally:
        await consumer.stop()


async def test_avro_file_topic_writes_avro_binary_and_reads_typed(
    admin: AIOKafkaAdminClient, bootstrap: str, http: aiohttp.ClientSession
) -> None:
    topic = await create_topic(admin, partitions=1)
    rule = {
        "name": topic,
        "type": "Payment",
        "value_schema": "payment.avsc",
        "value_format": "avro",
    }
    async with typed_gateway(bootstrap, [rule]) as gateway:
        client = GraphQLClient(http, gateway.url)
        await client.data(PRODUCE_PAYMENT, {"value": PAYMENT})
        (raw,) = await raw_records(bootstrap, topic, 1)
        schema = fastavro.parse_schema(json.loads((SCHEMAS / "payment.avsc").read_text()))
        datum: Any = fastavro.schemaless_reader(io.BytesIO(raw), schema, return_record_name=True)
        assert datum["amountCents"] == 1234 and datum["method"][0].endswith("Transfer")
        assert datum["digest"] == b"\x00\x01\x02\x03"

        node = (await client.data(PAYMENTS))["payments"]["edges"][0]["node"]
        assert node["schemaErrors"] == []
        value = node["value"]
        assert value["method"] == {"__typename": "Transfer", "iban": "DE00"}
        assert value["at"] == "2026-11-25T12:00:00.000Z"
        assert value["labels"] == {"channel": "web"} and value["notes"] == ["first", None]
        assert value["digest"] == "AAECAw=="

        # The generic API delivers the decoded value, not the Avro bytes.
        (message,) = (await history(client, topic))["messages"]
        assert message["value"]["payer"] == {"name": "Ada", "email": None}
        assert message["value"]["method"] == {"__typename": "Transfer", "iban": "DE00"}


REASONS = ["LATE", "BROKEN"]


def refund_schema(*extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "record",
        "name": "Refund",
        "fields": [
            {"name": "id", "type": "string"},
            {"name": "amountCents", "type": "long"},
            {
                "name": "reason",
                "type": {"type": "enum", "name": "Reason", "symbols": ["LATE", "BROKEN"]},
            },
            *extra,
        ],
    }


SUBSCRIBE_REFUNDS = f"""
subscription {{ refunds(fromOffset: 0) {{ {ENVELOPE} value {{ id amountCents reason }} }} }}"""


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_confluent_topic_decodes_every_registered_version_by_id(
    admin: AIOKafkaAdminClient,
    bootstrap: str,
    http: aiohttp.ClientSession,
    raw_producer: AIOKafkaProducer,
    protocol: str,
) -> None:
    registry_url = os.environ["KAFKA_GRAPHQL_SCHEMA_REGISTRY_URL"]
    topic = await create_topic(admin, partitions=1)
    v1 = await register(registry_url, f"{topic}-value", refund_schema())
    rule = {
        "name": topic,
        "type": "Refund",
        "value_schema": "registry",
        "value_format": "avro-confluent",
    }
    async with typed_gateway(bootstrap, [rule], registry_url) as gateway:
        client = GraphQLClient(http, gateway.url)
        value = {"id": "r-1", "amountCents": 500, "reason": "LATE"}
        await client.data(
            "mutation($v: RefundInput!) { produceRefund(value: $v) { offset } }", {"v": value}
        )
        (raw,) = await raw_records(bootstrap, topic, 1)
        assert raw[:5] == struct.pack(">bI", 0, v1)
        written = fastavro.schemaless_reader(
            io.BytesIO(raw[5:]), fastavro.parse_schema(refund_schema())
        )
        assert written == value

        # A producer moves to a compatible second version: the gateway fetches it by id.
        v2_schema = refund_schema({"name": "note", "type": ["null", "string"], "default": None})
        v2 = await register(registry_url, f"{topic}-value", v2_schema)
        assert v2 != v1
        body = io.BytesIO()
        body.write(struct.pack(">bI", 0, v2))
        fastavro.schemaless_writer(
            body,
            fastavro.parse_schema(v2_schema),
            {"id": "r-2", "amountCents": 700, "reason": "BROKEN", "note": "v2"},
        )
        await raw_producer.send_and_wait(topic, body.getvalue())
        # An id the registry never gave: the record arrives with schemaErrors, the stream goes on.
        await raw_producer.send_and_wait(topic, struct.pack(">bI", 0, 987654) + b"\x02")
        await client.data(
            "mutation($v: RefundInput!) { produceRefund(value: $v) { offset } }",
            {"v": {"id": "r-3", "amountCents": 1, "reason": "LATE"}},
        )

        async with client.subscribe(SUBSCRIBE_REFUNDS, {}, protocol) as sub:
            first, second, unknown, last = await sub.take(4, "refunds")
    assert first["value"] == value
    assert second["value"] == {"id": "r-2", "amountCents": 700, "reason": "BROKEN"}
    assert unknown["value"] is None and "987654" in " ".join(unknown["schemaErrors"])
    assert last["value"]["id"] == "r-3"
