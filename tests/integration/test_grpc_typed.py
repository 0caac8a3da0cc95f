"""The gRPC face over typed topics, masks and tenants, on the real broker: `json` in, validated
and encoded in the topic's format (JSON Schema, an Avro file, Avro from the registry), a refused
value naming its field and a refused batch writing nothing; `json` out in the caller's view
(masked fields null, `raw` only for callers who may see every field, `value_errors` for a value
that does not match); each tenant streaming only its own records."""

from __future__ import annotations

import json
import struct
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from grpc import aio

from tests.grpc_client import (
    Metadata,
    bearer,
    failure,
    json_message,
    pb,
    received,
    stub_of,
    with_grpc,
)
from tests.integration.auth import auth_settings, key_files_fixture  # noqa: F401 (a fixture)
from tests.integration.conftest import RunningGateway, run_gateway
from tests.integration.field_auth import ORDER_RULES, PII, READER, order, unique_email
from tests.integration.helpers import create_served_topic
from tests.integration.records import raw_records
from tests.integration.test_rest_schemas import register
from tests.integration.typed import SCHEMAS
from tests.tokens import RUN_TTL_S, claims, rsa_pair

RSA = rsa_pair()
RUN = uuid.uuid4().hex[:8]
ORDERS = f"test-grpc-orders-{RUN}"
STOCK = f"test-grpc-stock-{RUN}"
REFUNDS = f"test-grpc-refunds-{RUN}"
TENANTS = f"test-grpc-tenants-{RUN}"
REFUND = {
    "type": "record",
    "name": "Refund",
    "fields": [{"name": "id", "type": "string"}, {"name": "cents", "type": "long"}],
}
STOCK_LEVEL = {
    "sku": "TEA-1",
    "warehouses": [{"warehouse": "north", "onHand": 3, "reserved": None, "state": "LOW"}],
    "flags": [],
    "overall": "LOW",
    "primary": None,
    "countedAt": "2026-11-25T12:00:00+00:00",
    "totalUnits": 3,
    "checksum": None,
    "perBin": {"a": 1},
    "comment": "",
}


def caller(scope: str, **extra: Any) -> Metadata:
    # Made at import or in a test, used until the run ends.
    return bearer(RSA.sign(claims(ttl_s=RUN_TTL_S, scope=scope, **extra)))


@pytest_asyncio.fixture(scope="module")
async def gateway(
    bootstrap: str, registry_url: str, key_files: tuple[Path, Path], admin: AIOKafkaAdminClient
) -> AsyncIterator[RunningGateway]:
    await register(f"{REFUNDS}-value", REFUND)
    for topic in (STOCK, REFUNDS, TENANTS):
        await create_served_topic(admin, topic, 1)
    topics: list[dict[str, Any]] = [
        {
            "name": ORDERS,
            "partitions": 1,
            "type": "Order",
            "value_schema": str(SCHEMAS / "order.schema.json"),
            **ORDER_RULES,
        },
        {
            "name": STOCK,
            "type": "Stock",
            "value_schema": str(SCHEMAS / "stock.avsc"),
            "value_format": "avro",
        },
        {
            "name": REFUNDS,
            "type": "Refund",
            "value_schema": "registry",
            "value_format": "avro-confluent",
        },
        {"name": TENANTS, "records": {"header": "tenant", "claim": "tenant"}},
        {"name": "test-*"},
    ]
    settings = auth_settings(bootstrap, key_files[0], topics=topics, registry_url=registry_url)
    async with run_gateway(with_grpc(settings)) as running:
        yield running


async def stream_from(
    gateway: RunningGateway, topic: str, offset: int, count: int, who: Metadata
) -> list[pb.ReceivedMessage]:
    async with stub_of(gateway) as stub:
        stream = stub.ReceiveMessages(
            pb.ReceiveMessagesRequest(topic=topic, from_offset=offset), metadata=who
        )
        messages = await received(stream, count)
        stream.cancel()
    return messages


async def test_json_schema_validated_and_masked(
    gateway: RunningGateway, raw_producer: AIOKafkaProducer
) -> None:
    email = unique_email()
    writer = caller(READER)
    async with stub_of(gateway) as stub:
        good = await stub.SendMessage(
            pb.SendMessageRequest(topic=ORDERS, message=json_message(json.dumps(order(email)))),
            metadata=writer,
        )
        with pytest.raises(aio.AioRpcError) as bad:
            await stub.SendMessages(
                pb.SendMessagesRequest(
                    topic=ORDERS,
                    messages=[
                        json_message(json.dumps(order(email))),
                        json_message(json.dumps(order(email, quantity=-1))),
                    ],
                ),
                metadata=writer,
            )
    refused = failure(bad.value)
    assert refused.code is grpc.StatusCode.INVALID_ARGUMENT and refused.reason == "BAD_USER_INPUT"
    assert refused.fields == ["messages.1.json.quantity"]
    await raw_producer.send_and_wait(ORDERS, b'{"id": 1}')
    everything = await stream_from(gateway, ORDERS, good.offset, 2, caller(PII))
    masked = await stream_from(gateway, ORDERS, good.offset, 2, caller(READER))
    # Nothing of the refused batch was written: the next record is the raw one.
    assert [m.offset for m in everything] == [good.offset, good.offset + 1]
    assert json.loads(everything[0].json)["customer"]["email"] == email
    assert json.loads(everything[0].json)["quantity"] == 4 and everything[0].HasField("raw")
    seen = json.loads(masked[0].json)
    assert seen["quantity"] is None and "customer" not in seen and not masked[0].HasField("raw")
    # Not an order: its bytes' generic reading, and why, for a caller who may see it all.
    assert json.loads(everything[1].json) == {"id": 1} and everything[1].value_errors
    assert not masked[1].HasField("json") and not masked[1].value_errors


@pytest.mark.parametrize(
    ("topic", "value", "magic"),
    [(STOCK, STOCK_LEVEL, None), (REFUNDS, {"id": "r-1", "cents": 250}, b"\x00")],
)
async def test_avro_in_and_out(
    gateway: RunningGateway, topic: str, value: dict[str, Any], magic: bytes | None
) -> None:
    who = caller("kafka:read:test-* kafka:write:test-*")
    async with stub_of(gateway) as stub:
        sent = await stub.SendMessage(
            pb.SendMessageRequest(topic=topic, message=json_message(json.dumps(value))),
            metadata=who,
        )
        with pytest.raises(aio.AioRpcError) as bad:
            await stub.SendMessage(
                pb.SendMessageRequest(topic=topic, message=json_message('{"sku": 1}')),
                metadata=who,
            )
    assert failure(bad.value).code is grpc.StatusCode.INVALID_ARGUMENT
    (message,) = await stream_from(gateway, topic, sent.offset, 1, who)
    assert json.loads(message.json) == value
    assert message.raw[:1] != b"{"
    if magic is not None:
        assert message.raw[:1] == magic and struct.unpack(">I", message.raw[1:5])[0] > 0


async def test_tenants_stream_their_own(gateway: RunningGateway, bootstrap: str) -> None:
    scope = "kafka:read:test-* kafka:write:test-*"
    acme, globex = caller(scope, tenant="acme"), caller(scope, tenant="globex")
    async with stub_of(gateway) as stub:
        for who, n in ((acme, 1), (globex, 2), (acme, 3)):
            await stub.SendMessage(
                pb.SendMessageRequest(topic=TENANTS, message=json_message(json.dumps(n))),
                metadata=who,
            )
        with pytest.raises(aio.AioRpcError) as forged:
            await stub.SendMessage(
                pb.SendMessageRequest(
                    topic=TENANTS,
                    message=pb.Message(json="4", headers=[pb.Header(key="tenant", value=b"acme")]),
                ),
                metadata=globex,
            )
    assert failure(forged.value).code is grpc.StatusCode.PERMISSION_DENIED
    mine = await stream_from(gateway, TENANTS, 0, 2, acme)
    theirs = await stream_from(gateway, TENANTS, 0, 1, globex)
    assert [json.loads(m.json) for m in mine] == [1, 3]
    assert [json.loads(m.json) for m in theirs] == [2]
    assert [(h.key, h.value) for h in mine[0].headers] == [("tenant", b"acme")]
    held = [r.headers for r in await raw_records(bootstrap, TENANTS)]
    assert held == [[("tenant", b"acme")], [("tenant", b"globex")], [("tenant", b"acme")]]
