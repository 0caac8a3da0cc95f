"""Relay paging of a typed topic the way Apollo Client's relayStylePagination() does it, and a
page's endCursor handed to the subscription while producers keep writing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiokafka.admin import AIOKafkaAdminClient

from tests.clients import LEGACY_WS, TRANSPORT_WS, GraphQLClient
from tests.integration.conftest import RunningGateway
from tests.integration.typed import create_topic, typed_gateway

PRODUCE_ORDERS = """
mutation($messages: [OrderMessageInput!]!) { produceOrders(messages: $messages) { offset } }"""

ORDERS = """
query($first: Int, $after: Cursor) {
  orders(first: $first, after: $after) {
    edges { cursor node { partition offset value { id } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""

SUBSCRIBE = (
    "subscription($after: Cursor) { orders(after: $after) { partition offset value { id } } }"
)


def orders(start: int, count: int) -> list[dict[str, Any]]:
    return [
        {
            "key": f"k{n}",
            "value": {
                "id": f"o-{n}",
                "placedAt": "2026-11-25T12:00:00Z",
                "status": "PLACED",
                "quantity": 1,
                "customer": {"name": "Ada"},
                "items": [],
            },
        }
        for n in range(start, start + count)
    ]


@pytest_asyncio.fixture
async def paged(admin: AIOKafkaAdminClient, bootstrap: str) -> AsyncIterator[RunningGateway]:
    topic = await create_topic(admin, partitions=3)
    rule = {"name": topic, "type": "Order", "value_schema": "order.schema.json"}
    async with typed_gateway(bootstrap, [rule]) as running:
        yield running


def apollo_merge(
    existing: dict[str, Any] | None, incoming: dict[str, Any], after: str | None
) -> dict[str, Any]:
    """relayStylePagination's merge (forward paging): edges after the `after` edge are replaced
    by the incoming ones; pageInfo merged, and read() takes start/end cursors from the edges."""
    prefix = list(existing["edges"]) if existing else []
    if after is not None:
        index = next((i for i, e in enumerate(prefix) if e["cursor"] == after), -1)
        if index >= 0:
            prefix = prefix[: index + 1]
    elif existing is not None:
        prefix = []
    edges = prefix + incoming["edges"]
    page_info = {**(existing or {}).get("pageInfo", {}), **incoming["pageInfo"]}
    if edges:
        page_info["startCursor"] = edges[0]["cursor"]
        page_info["endCursor"] = edges[-1]["cursor"]
    return {"edges": edges, "pageInfo": page_info}


async def test_apollo_relay_pagination_reads_every_record_once_in_order(
    paged: RunningGateway, http: aiohttp.ClientSession
) -> None:
    client = GraphQLClient(http, paged.url)
    await client.data(PRODUCE_ORDERS, {"messages": orders(0, 25)})
    cache = None
    after = None
    pages = 0
    while True:
        result = (await client.data(ORDERS, {"first": 7, "after": after}))["orders"]
        cache = apollo_merge(cache, result, after)
        pages += 1
        if not cache["pageInfo"]["hasNextPage"]:
            break
        after = cache["pageInfo"]["endCursor"]
    ids = [e["node"]["value"]["id"] for e in cache["edges"]]
    assert sorted(ids) == sorted(f"o-{n}" for n in range(25)) and len(ids) == 25
    assert pages == 4
    # Within a partition, offsets only grow.
    for partition in range(3):
        offsets = [
            e["node"]["offset"] for e in cache["edges"] if e["node"]["partition"] == partition
        ]
        assert offsets == sorted(offsets)
    assert cache["pageInfo"]["hasPreviousPage"] is False


FROM_OFFSET = """
query($first: Int, $after: Cursor, $fromOffset: Long, $fromTimestamp: DateTime) {
  orders(first: $first, after: $after, fromOffset: $fromOffset, fromTimestamp: $fromTimestamp) {
    edges { node { partition offset } }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def test_after_continues_a_list_that_fromoffset_started(
    paged: RunningGateway, http: aiohttp.ClientSession
) -> None:
    """Apollo's fetchMore sends the query's variables again with `after` added: the cursor
    decides where the page starts, and fromOffset only named the list."""
    client = GraphQLClient(http, paged.url)
    await client.data(PRODUCE_ORDERS, {"messages": orders(0, 18)})
    variables: dict[str, Any] = {"first": 4, "fromOffset": 2}
    seen: list[tuple[int, int]] = []
    while True:
        page = (await client.data(FROM_OFFSET, variables))["orders"]
        seen += [(e["node"]["partition"], e["node"]["offset"]) for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        variables["after"] = page["pageInfo"]["endCursor"]
    everything = (await client.data(FROM_OFFSET, {"first": 100}))["orders"]["edges"]
    expected = {(e["node"]["partition"], e["node"]["offset"]) for e in everything}
    assert len(seen) == len(set(seen))
    assert set(seen) == {(p, o) for p, o in expected if o >= 2}
    # Two starting points are still one too many.
    both = {"fromOffset": 2, "fromTimestamp": "2026-11-25T12:00:00Z"}
    assert await client.error_codes(FROM_OFFSET, both) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_end_cursor_into_the_subscription_while_producers_write(
    paged: RunningGateway, http: aiohttp.ClientSession, protocol: str
) -> None:
    client = GraphQLClient(http, paged.url)
    await client.data(PRODUCE_ORDERS, {"messages": orders(0, 20)})
    page = (await client.data(ORDERS, {"first": 8}))["orders"]
    seen = {e["node"]["value"]["id"] for e in page["edges"]}

    async def keep_writing() -> None:
        for n in range(20, 40, 4):
            await client.data(PRODUCE_ORDERS, {"messages": orders(n, 4)})

    async with client.subscribe(
        SUBSCRIBE, {"after": page["pageInfo"]["endCursor"]}, protocol
    ) as sub:
        writer = asyncio.create_task(keep_writing())
        streamed = await sub.take(32, "orders")
        await writer
    ids = [m["value"]["id"] for m in streamed]
    assert len(ids) == len(set(ids)), "a duplicate"
    assert set(ids) | seen == {f"o-{n}" for n in range(40)}, "a gap"
    assert not set(ids) & seen
