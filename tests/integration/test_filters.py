"""Server-side filters: a message that does not match never reaches the client."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.clients import GraphQLClient
from tests.integration.conftest import RunningGateway, TopicFactory
from tests.integration.helpers import SUBSCRIBE, history, produce_batch

ORDERS: list[dict[str, Any]] = [
    {
        "key": "eu-1",
        "headers": [{"key": "region", "value": "eu"}],
        "value": {"id": 1, "total": 5, "status": "new", "customer": {"id": "c1"}, "tags": ["gift"]},
    },
    {
        "key": "eu-2",
        "headers": [{"key": "region", "value": "eu"}, {"key": "vip", "value": None}],
        "value": {"id": 2, "total": 50, "status": "paid", "customer": {"id": "c2"}, "tags": []},
    },
    {
        "key": "us-1",
        "headers": [{"key": "region", "value": "us"}],
        "value": {"id": 3, "total": 500, "status": "paid", "customer": {"id": "c1"}, "note": None},
    },
    {
        "key": None,
        "headers": [],
        "value": {
            "id": 4,
            "total": 12.5,
            "status": "cancelled",
            "customer": {"id": "c3"},
            "items": [{"sku": "A-1"}],
        },
    },
    {"key": "us-2", "headers": [], "value": "not an object"},
]

CASES: list[tuple[dict[str, Any], list[int]]] = [
    ({"key": "eu-2"}, [2]),
    ({"keyPrefix": "us-"}, [3, 5]),
    ({"headers": [{"key": "region", "value": "eu"}]}, [1, 2]),
    ({"headers": [{"key": "vip"}]}, [2]),
    ({"value": [{"path": "status", "eq": "paid"}]}, [2, 3]),
    ({"value": [{"path": "status", "ne": "paid"}]}, [1, 4, 5]),
    ({"value": [{"path": "customer.id", "in": ["c1", "c3"]}]}, [1, 3, 4]),
    ({"value": [{"path": "total", "gt": 5}]}, [2, 3, 4]),
    ({"value": [{"path": "total", "gte": 5, "lt": 50}]}, [1, 4]),
    ({"value": [{"path": "total", "lte": 12.5}]}, [1, 4]),
    ({"value": [{"path": "status", "contains": "cel"}]}, [4]),
    ({"value": [{"path": "tags", "contains": "gift"}]}, [1]),
    ({"value": [{"path": "note", "exists": True}]}, [3]),
    ({"value": [{"path": "note", "eq": None}]}, [3]),
    ({"value": [{"path": "customer", "exists": False}]}, [5]),
    ({"value": [{"path": "items.0.sku", "eq": "A-1"}]}, [4]),
    ({"keyPrefix": "eu-", "value": [{"path": "total", "gt": 10}]}, [2]),
]


def order_number(message: dict[str, Any]) -> int:
    value = message["value"]
    return value["id"] if isinstance(value, dict) else 5


@pytest.fixture
async def orders_topic(client: GraphQLClient, new_topic: TopicFactory) -> str:
    topic = await new_topic(partitions=2)
    await produce_batch(client, topic, ORDERS)
    return topic


@pytest.mark.parametrize(("filter_", "expected"), CASES)
async def test_history_filter(
    client: GraphQLClient, orders_topic: str, filter_: dict[str, Any], expected: list[int]
) -> None:
    page = await history(client, orders_topic, filter=filter_, limit=50)
    assert sorted(order_number(m) for m in page["messages"]) == expected


async def test_every_filter_kind_on_a_live_subscription(
    client: GraphQLClient, gateway: RunningGateway, new_topic: TopicFactory
) -> None:
    """One subscription per case, all open at once; then the orders are written once, followed by
    one sentinel per case (a copy of a matching order, id 100 + case). Everything is in one
    partition, so a subscriber that sees its own sentinel has seen every order it was sent:
    exactly its matches, and nothing else."""
    topic = await new_topic(partitions=1)
    subs = [client.subscribe(SUBSCRIBE, {"topic": topic, "filter": f}) for f, _ in CASES]
    async with asyncio.TaskGroup() as group:
        for sub in subs:
            group.create_task(sub.__aenter__())
    try:
        live = gateway.kafka.live
        await asyncio.wait_for(
            live.wait_until(lambda: live.subscriber_count(topic) == len(CASES)), 30
        )
        await produce_batch(client, topic, ORDERS)
        sentinels = []
        for case, (_, expected) in enumerate(CASES):
            order = ORDERS[expected[0] - 1]
            value = order["value"]
            value = {**value, "id": 100 + case} if isinstance(value, dict) else {"id": 100 + case}
            sentinels.append({**order, "value": value})
        await produce_batch(client, topic, sentinels)
        for case, (sub, (filter_, expected)) in enumerate(zip(subs, CASES, strict=True)):
            got: list[int] = []
            while 100 + case not in got:
                got.append(order_number(await sub.next_message()))
            assert [n for n in got if n < 100] == expected, filter_
    finally:
        for sub in subs:
            await sub.__aexit__(None, None, None)
