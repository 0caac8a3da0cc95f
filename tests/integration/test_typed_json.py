"""A JSON-Schema typed topic end to end: typed produce -> bytes on the topic -> typed query ->
typed subscription, refusals that write nothing, and bad records that never break a read."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from tests.clients import LEGACY_WS, TRANSPORT_WS, GraphQLClient
from tests.integration.conftest import RunningGateway
from tests.integration.helpers import PRODUCE, history
from tests.integration.typed import ENVELOPE, create_topic, typed_gateway

ORDER_FIELDS = """id placedAt status priority quantity customer { name email }
  items { sku count } tags metadata
  payment { __typename ... on OrderPaymentCard { kind last4 } ... on BankTransfer { kind iban } }"""

PRODUCE_ORDER = """
mutation($value: OrderInput!, $key: String, $partition: Int) {
  produceOrder(value: $value, key: $key, partition: $partition) { topic partition offset }
}"""

PRODUCE_ORDERS = """
mutation($messages: [OrderMessageInput!]!) {
  produceOrders(messages: $messages) { partition offset }
}"""

ORDERS = f"""
query($first: Int, $after: Cursor, $partitions: [Int!]) {{
  orders(first: $first, after: $after, partitions: $partitions) {{
    edges {{ cursor node {{ {ENVELOPE} value {{ {ORDER_FIELDS} }} }} }}
    pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
  }}
}}"""

SUBSCRIBE_ORDERS = f"""
subscription($after: Cursor, $fromOffset: Long) {{
  orders(after: $after, fromOffset: $fromOffset) {{ {ENVELOPE} value {{ {ORDER_FIELDS} }} }}
}}"""


def order(number: int, **changes: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "id": f"o-{number}",
        "placedAt": "2026-11-25T12:00:00+01:00",
        "status": "PLACED",
        "quantity": number,
        "customer": {"name": "Ada", "email": "ada@example.com"},
        "items": [{"sku": "ABC-1", "count": 1}, {"sku": "XYZ-22", "count": 3}],
        "tags": ["new", None],
        "payment": {"orderPaymentCard": {"kind": "card", "last4": "4242"}},
    }
    value.update(changes)
    return value


@pytest_asyncio.fixture(scope="module")
async def orders(admin: AIOKafkaAdminClient) -> str:
    return await create_topic(admin, partitions=1)


@pytest_asyncio.fixture(scope="module")
async def gateway_json(bootstrap: str, orders: str) -> AsyncIterator[RunningGateway]:
    rule = {"name": orders, "type": "Order", "value_schema": "order.schema.json"}
    async with typed_gateway(bootstrap, [rule]) as running:
        yield running


@pytest.fixture
def typed(gateway_json: RunningGateway, http: aiohttp.ClientSession) -> GraphQLClient:
    return GraphQLClient(http, gateway_json.url)


async def raw_values(bootstrap: str, topic: str, start: int, end: int) -> list[bytes]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        consumer.seek(tp, start)
        values: list[bytes] = []
        while len(values) < end - start:
            batch = await consumer.getmany(tp, timeout_ms=1000)
            values += [r.value for r in batch.get(tp, [])]
        return values[: end - start]
    finally:
        await consumer.stop()


async def end_offset(typed: GraphQLClient, topic: str) -> int:
    data = await typed.data(
        "query($t: String!) { topic(name: $t) { partitions { latestOffset } } }", {"t": topic}
    )
    return int(data["topic"]["partitions"][0]["latestOffset"])


async def test_typed_produce_writes_schema_valid_json_and_reads_back_typed(
    typed: GraphQLClient, bootstrap: str, orders: str
) -> None:
    start = await end_offset(typed, orders)
    written = await typed.data(PRODUCE_ORDER, {"value": order(1), "key": "k1"})
    assert written["produceOrder"]["offset"] == start
    (raw,) = await raw_values(bootstrap, orders, start, start + 1)
    on_topic = json.loads(raw)
    # The input became the schema's plain JSON: the union member is the object itself.
    assert on_topic["payment"] == {"kind": "card", "last4": "4242"}
    assert on_topic["placedAt"] == "2026-11-25T12:00:00+01:00"
    assert "priority" not in on_topic

    page = (await typed.data(ORDERS, {"after": None, "first": 40}))["orders"]
    node = next(e["node"] for e in page["edges"] if e["node"]["offset"] == start)
    assert node["schemaErrors"] == []
    assert node["key"] == "k1"
    assert node["value"]["placedAt"] == "2026-11-25T11:00:00.000Z"
    assert node["value"]["payment"] == {
        "__typename": "OrderPaymentCard",
        "kind": "card",
        "last4": "4242",
    }
    assert node["value"]["items"][1] == {"sku": "XYZ-22", "count": 3}
    assert node["value"]["tags"] == ["new", None]
    assert node["rawValue"] == on_topic


async def test_a_value_that_breaks_the_schema_is_refused_with_its_path_and_nothing_is_written(
    typed: GraphQLClient, orders: str
) -> None:
    before = await end_offset(typed, orders)
    bad_item = order(
        2,
        items=[
            {"sku": "ABC-1", "count": 1},
            {"sku": "ABC-2", "count": 1},
            {"sku": "lower", "count": 1},
        ],
    )
    body = await typed.post(PRODUCE_ORDER, {"value": bad_item})
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["path"] == ["items", 2, "sku"]

    # A batch is checked whole first: the good first message is not written either.
    batch = [{"value": order(3)}, {"value": order(4, quantity=5000)}]
    body = await typed.post(PRODUCE_ORDERS, {"messages": batch})
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["path"] == ["quantity"]
    assert error["extensions"]["index"] == 1

    # The generic produce validates a typed topic's values the same way.
    body = await typed.post(PRODUCE, {"topic": orders, "value": {"id": "x"}})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert await end_offset(typed, orders) == before


async def test_a_record_that_breaks_the_schema_arrives_with_schema_errors_and_reading_goes_on(
    typed: GraphQLClient, raw_producer: AIOKafkaProducer, orders: str
) -> None:
    start = await end_offset(typed, orders)
    await typed.data(PRODUCE_ORDER, {"value": order(5)})
    await raw_producer.send_and_wait(orders, json.dumps({"id": 7, "legacy": True}).encode())
    await raw_producer.send_and_wait(orders, b"\xff not json")
    await typed.data(PRODUCE_ORDER, {"value": order(6)})

    page = (await typed.data(ORDERS, {"first": 40}))["orders"]
    nodes = [e["node"] for e in page["edges"] if e["node"]["offset"] >= start]
    assert [n["value"] and n["value"]["id"] for n in nodes] == ["o-5", None, None, "o-6"]
    assert nodes[1]["rawValue"] == {"id": 7, "legacy": True}
    assert any("id" in e and "string" in e for e in nodes[1]["schemaErrors"])
    assert nodes[2]["schemaErrors"] and nodes[2]["value"] is None
    assert nodes[3]["schemaErrors"] == []


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_typed_subscription_replays_then_goes_live_past_a_bad_record(
    typed: GraphQLClient, raw_producer: AIOKafkaProducer, orders: str, protocol: str
) -> None:
    start = await end_offset(typed, orders)
    await typed.data(PRODUCE_ORDER, {"value": order(10)})
    async with typed.subscribe(SUBSCRIBE_ORDERS, {"fromOffset": start}, protocol) as sub:
        first = await sub.next_message("orders")
        assert first["value"]["id"] == "o-10" and first["offset"] == start
        await raw_producer.send_and_wait(orders, b'{"id": "broken"}')
        await typed.data(PRODUCE_ORDER, {"value": order(11, status="SHIPPED")})
        broken, live = await sub.take(2, "orders")
    assert broken["value"] is None and broken["schemaErrors"]
    assert live["value"]["status"] == "SHIPPED" and live["offset"] == start + 2


async def test_generic_messages_on_a_typed_topic_still_work(
    typed: GraphQLClient, orders: str
) -> None:
    start = await end_offset(typed, orders)
    # The generic API speaks the schema's plain JSON (a union member is the object itself).
    plain = order(20, payment={"kind": "transfer", "iban": "DE00"})
    await typed.data(PRODUCE, {"topic": orders, "value": plain})
    page = await history(typed, orders, fromOffset=start)
    assert page["messages"][0]["value"] == plain
