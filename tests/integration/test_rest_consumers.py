"""The v2 consumer API endpoint by endpoint on the real broker, with `[auth]` on: instances
(`base_uri` from server.public_url, 40902), subscriptions by names and by pattern (only topics
the caller may read, 40401 for another), assignments (40901, 40402), positions (beginning, end,
an offset; 40903 for a partition not assigned), records in the binary and json formats (40601
for another Accept; max_bytes reads the rest next time), commits, masks of a typed topic in
both formats, and the bound per caller (42901)."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest_asyncio
from aiokafka.admin import AIOKafkaAdminClient

from kafka_graphql.core.telemetry import Operation, Telemetry
from kafka_graphql.settings import RestSettings
from tests.clients import RestClient
from tests.integration.auth import (  # noqa: F401 (a fixture)
    auth_settings,
    create_topic,
    key_files_fixture,
)
from tests.integration.conftest import RunningGateway, run_gateway
from tests.integration.consumers import Consumer
from tests.integration.field_auth import ORDER_RULES, ORDERS, order
from tests.integration.typed import SCHEMAS
from tests.tokens import claims, rsa_pair

RSA = rsa_pair()
RUN = uuid.uuid4().hex[:8]
ONE, TWO = f"test-rest-cons-{RUN}-one", f"test-rest-cons-{RUN}-two"
HIDDEN = f"test-rest-chidden-{RUN}"
PUBLIC = "https://kafka.example.com/proxy"
SCOPES = (
    "kafka:read:test-rest-cons-* kafka:write:test-rest-cons-* kafka:group:test-* "
    "kafka:read:test-fields-orders-* kafka:write:test-fields-orders-*"
)
ASSIGN_SUBSCRIBED = "Consumer cannot be assigned partitions because it has subscribed to topics."
SUBSCRIBE_ASSIGNED = (
    "Consumer cannot subscribe the the specified target because it has already subscribed to "
    "other topics."
)
PII = f"{SCOPES} orders:pii orders:quantity orders:customer orders:counts"


@pytest_asyncio.fixture(scope="module")
async def gateway(
    bootstrap: str, key_files: tuple[Path, Path], admin: AIOKafkaAdminClient
) -> AsyncIterator[RunningGateway]:
    await create_topic(admin, ONE, 1)
    await create_topic(admin, TWO, 2)
    await create_topic(admin, HIDDEN, 1)
    orders = {
        "name": ORDERS,
        "partitions": 1,
        "type": "Order",
        "value_schema": str(SCHEMAS / "order.schema.json"),
        **ORDER_RULES,
    }
    settings = auth_settings(bootstrap, key_files[0], topics=[orders, {"name": "test-*"}])
    rest = RestSettings(enabled=True, max_consumer_instances_per_principal=3)
    server = settings.server.model_copy(update={"public_url": PUBLIC})
    settings = settings.model_copy(update={"rest": rest, "server": server})
    async with run_gateway(settings, telemetry=OPERATIONS) as gw:
        yield gw


class Operations(Telemetry):
    def __init__(self) -> None:
        self.ended: list[Operation] = []

    def operation_ended(self, operation: Operation) -> None:
        self.ended.append(operation)


OPERATIONS = Operations()


def client(gateway: RunningGateway, http: aiohttp.ClientSession, scope: str = SCOPES) -> RestClient:
    return RestClient.of(http, gateway.url, RSA.sign(claims(scope=scope, sub=scope[-8:])))


def tp(topic: str, partition: int = 0) -> dict[str, Any]:
    return {"topic": topic, "partition": partition}


def error(status: int, code: int, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"error_code": code, "message": message}


async def test_subscriptions_and_assignments(
    gateway: RunningGateway, http: aiohttp.ClientSession
) -> None:
    rest = client(gateway, http)
    consumer = await Consumer.create(rest, f"test-subs-{RUN}", PUBLIC, name="c1")
    try:
        again = await rest.send("POST", consumer.path.split("/instances")[0], {"name": "c1"})
        message = "Consumer with specified consumer ID 'c1' already exists"
        assert (again.status, again.json()) == error(409, 40902, message)
        hidden = error(404, 40401, f"topic {HIDDEN!r} not found")
        subscribed = error(409, 40901, ASSIGN_SUBSCRIBED)
        assigned = error(409, 40901, SUBSCRIBE_ASSIGNED)
        missing = error(404, 40402, f"partition 5 of topic {ONE!r} not found")
        not_assigned = error(
            409, 40903, "Illegal state: the consumer is not assigned that partition"
        )
        pattern = {"topic_pattern": f"test-rest-c.*-{RUN}.*"}
        steps: list[tuple[str, str, Any, tuple[int, Any]]] = [
            ("POST", "/subscription", {"topics": [HIDDEN]}, hidden),
            ("POST", "/subscription", pattern, (204, None)),
            ("GET", "/subscription", None, (200, {"topics": [ONE, TWO]})),
            ("POST", "/assignments", {"partitions": [tp(ONE)]}, subscribed),
            ("DELETE", "/subscription", None, (204, None)),
            ("GET", "/subscription", None, (200, {"topics": []})),
            ("POST", "/subscription", {"topic_pattern": "none-.*"}, (204, None)),
            ("GET", "/subscription", None, (200, {"topics": []})),
            ("POST", "/assignments", {"partitions": [tp(ONE, 5)]}, missing),
            ("POST", "/assignments", {"partitions": [tp(HIDDEN)]}, hidden),
            ("POST", "/assignments", {"partitions": [tp(TWO, 1), tp(ONE)]}, (204, None)),
            ("GET", "/assignments", None, (200, {"partitions": [tp(ONE), tp(TWO, 1)]})),
            ("POST", "/subscription", {"topics": [ONE]}, assigned),
            ("POST", "/positions", {"offsets": [{**tp(TWO), "offset": 0}]}, not_assigned),
            ("POST", "/positions/end", {"partitions": [tp(HIDDEN)]}, hidden),
        ]
        for method, tail, body, expected in steps:
            answer = await consumer.call(method, tail, body)
            got = answer.json() if answer.body else None
            assert (answer.status, got) == expected, (method, tail, body)
    finally:
        await consumer.delete()


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


async def test_records_positions_max_bytes_and_commits(
    gateway: RunningGateway, http: aiohttp.ClientSession
) -> None:
    rest = client(gateway, http)
    header = [{"name": "trace", "value": b64(b"t-1")}]
    records = [{"key": f"k{n}", "value": {"n": n}, "headers": header} for n in range(4)]
    assert [o["offset"] for o in await rest.produce(ONE, records)] == [0, 1, 2, 3]
    consumer = await Consumer.create(rest, f"test-records-{RUN}", PUBLIC, format="binary")
    try:
        await consumer.must("POST", "/assignments", {"partitions": [tp(ONE)]})
        await consumer.must("POST", "/positions/beginning", {"partitions": [tp(ONE)]})
        read = await consumer.read(4)
        assert read[1] == {
            "topic": ONE,
            "key": b64(b"k1"),
            "value": b64(b'{"n":1}'),
            "partition": 0,
            "offset": 1,
            "headers": [{"name": "trace", "value": b64(b"t-1")}],
        }
        json_accept = await rest.send(
            "GET",
            f"{consumer.path}/records",
            headers={"Accept": "application/vnd.kafka.json.v2+json"},
        )
        message = (
            "The requested embedded data format does not match the deserializer for this "
            "consumer instance"
        )
        assert (json_accept.status, json_accept.json()) == error(406, 40601, message)
        await consumer.must("POST", "/positions", {"offsets": [{**tp(ONE), "offset": 2}]})
        OPERATIONS.ended.clear()
        assert [r["offset"] for r in await consumer.read(2)] == [2, 3]
        # Each records request one operation about the topics it read.
        (read_op, *_) = OPERATIONS.ended
        assert (read_op.face, read_op.operation_name, read_op.operation_type) == (
            "rest",
            "consume_records",
            "query",
        )
        assert (read_op.topics, read_op.code) == ({ONE}, "OK")
        await consumer.must("POST", "/positions/end", {"partitions": [tp(ONE)]})
        assert (await consumer.records(timeout_ms=200)).json() == []
        # At most one record a time: the others are read next time, none lost.
        await consumer.must("POST", "/positions/beginning", {"partitions": [tp(ONE)]})
        offsets: list[int] = []
        for _ in range(4):
            answer = await consumer.records(timeout_ms=2000, query="&max_bytes=1")
            offsets.extend(r["offset"] for r in answer.json())
        assert offsets == [0, 1, 2, 3]
        await consumer.must("POST", "/offsets", {"offsets": [{**tp(ONE), "offset": 1}]})
        committed = await consumer.must("GET", "/offsets", {"partitions": [tp(ONE), tp(TWO)]})
        assert committed == {"offsets": [{**tp(ONE), "offset": 2, "metadata": ""}]}
    finally:
        await consumer.delete()


async def test_a_typed_topic_is_read_as_the_caller_may_see_it(
    gateway: RunningGateway, http: aiohttp.ClientSession
) -> None:
    value = order("ada@example.com")
    written = await client(gateway, http, PII).produce(ORDERS, [{"value": value}])
    offset = written[0]["offset"]
    # Guarded fields (the customer, the items' counts) left out, masked ones null.
    items = [{"sku": item["sku"]} for item in value["items"]]
    masked = {k: v for k, v in value.items() if k != "customer"} | {
        "quantity": None,
        "items": items,
    }
    views = [(PII, "json", value), (SCOPES, "json", masked), (SCOPES, "binary", masked)]
    for scope, format, expected in views:
        rest = client(gateway, http, scope)
        consumer = await Consumer.create(rest, f"test-typed-{RUN}", PUBLIC, format=format)
        try:
            await consumer.must("POST", "/assignments", {"partitions": [tp(ORDERS)]})
            await consumer.must(
                "POST", "/positions", {"offsets": [{**tp(ORDERS), "offset": offset}]}
            )
            (record,) = await consumer.read(1)
            shown = record["value"]
            if format == "binary":
                shown = json.loads(base64.b64decode(shown))
            assert shown == expected, scope
        finally:
            await consumer.delete()


async def test_a_caller_holds_at_most_its_instances(
    gateway: RunningGateway, http: aiohttp.ClientSession
) -> None:
    rest, other = client(gateway, http), client(gateway, http, PII)
    group = f"test-bound-{RUN}"
    held = [await Consumer.create(rest, group, PUBLIC) for _ in range(3)]
    try:
        refused = await rest.send("POST", f"/consumers/{group}", {})
        message = "at most 3 consumer instances per caller; delete one first"
        assert (refused.status, refused.json()) == error(429, 42901, message)
        assert refused.headers["Retry-After"] == "1"
        await (await Consumer.create(other, group, PUBLIC)).delete()
        await held.pop().delete()
        held.append(await Consumer.create(rest, group, PUBLIC))
    finally:
        for consumer in held:
            await consumer.delete()
