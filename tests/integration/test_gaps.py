"""A client resuming past records that are gone is told so, with exact counts (docs/api.md,
"When records are gone"): records 0-9 written, the cursor taken after record 0, the records
before offset 5 deleted (as retention would), then the read resumed."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from kafka_graphql.kafka import Gap, Gaps
from tests.clients import LEGACY_WS, TRANSPORT_WS, GraphQLClient
from tests.integration.conftest import RunningGateway, TopicFactory, gateway_settings, run_gateway
from tests.integration.gaps import delete_before, recreate
from tests.integration.helpers import poll_until, produce, produce_batch
from tests.integration.typed import create_topic, typed_gateway

PAGE = """
query($topic: String!, $after: Cursor, $fromOffset: Long, $limit: Int, $onGap: OnGap) {
  messages(topic: $topic, after: $after, fromOffset: $fromOffset, limit: $limit,
           onGap: $onGap) {
    messages { partition offset value }
    gaps { partition from to }
    resets { partition requested resumedAt }
    nextCursor
  }
}"""

SUBSCRIBE = """
subscription($topic: String!, $after: Cursor, $fromOffset: Long, $onGap: OnGap) {
  messages(topic: $topic, after: $after, fromOffset: $fromOffset, onGap: $onGap) {
    partition offset value expired reset skipped
  }
}"""

GAP = {"partition": 0, "from": 1, "to": 5}


async def ten_then_cursor(client: GraphQLClient, topic: str) -> str:
    """Records 0-9 in partition 0 of `topic`, and the cursor right after record 0."""
    await produce_batch(client, topic, [{"value": i} for i in range(10)])
    first = await client.data(PAGE, {"topic": topic, "limit": 1})
    assert [m["offset"] for m in first["messages"]["messages"]] == [0]
    cursor: str = first["messages"]["nextCursor"]
    return cursor


async def page(client: GraphQLClient, topic: str, **arguments: Any) -> dict[str, Any]:
    data = await client.data(PAGE, {"topic": topic, **arguments})
    result: dict[str, Any] = data["messages"]
    return result


async def joined(gateway: RunningGateway, topic: str, count: int = 1) -> None:
    hub = gateway.kafka.live
    await asyncio.wait_for(hub.wait_until(lambda: hub.subscriber_count(topic) == count), 30)


def offsets(messages: list[dict[str, Any]]) -> list[int]:
    return [m["offset"] for m in messages]


def refusal(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("data") is None, body
    (error,) = body["errors"]
    extensions: dict[str, Any] = error["extensions"]
    assert extensions["code"] == "CURSOR_EXPIRED", error
    return extensions


async def test_a_page_resumed_past_deleted_records_reports_the_gap(
    client: GraphQLClient, admin: AIOKafkaAdminClient, new_topic: TopicFactory
) -> None:
    topic = await new_topic()
    cursor = await ten_then_cursor(client, topic)
    assert (await page(client, topic, after=cursor))["gaps"] == []  # nothing gone yet
    await delete_before(admin, topic, 5)

    resumed = await page(client, topic, after=cursor)
    assert resumed["gaps"] == [GAP] and resumed["resets"] == []
    assert offsets(resumed["messages"]) == [5, 6, 7, 8, 9]
    # Its own next page has nothing more to report.
    assert (await page(client, topic, after=resumed["nextCursor"]))["gaps"] == []

    below = await page(client, topic, fromOffset=2)
    assert below["gaps"] == [{"partition": 0, "from": 2, "to": 5}]
    assert offsets(below["messages"]) == [5, 6, 7, 8, 9]
    assert (await page(client, topic, fromOffset=5))["gaps"] == []

    failed = refusal(await client.post(PAGE, {"topic": topic, "after": cursor, "onGap": "FAIL"}))
    assert failed["earliest"] == [{"partition": 0, "offset": 5}]
    assert failed["gaps"] == [GAP]


async def test_a_page_resumed_on_a_topic_made_again_reports_the_reset(
    client: GraphQLClient,
    gateway: RunningGateway,
    admin: AIOKafkaAdminClient,
    new_topic: TopicFactory,
) -> None:
    topic = await new_topic()
    await produce_batch(client, topic, [{"value": i} for i in range(10)])
    cursor = (await page(client, topic))["nextCursor"]  # after record 9: position 10
    await recreate(admin, topic)
    await produce_batch(client, topic, [{"value": i} for i in range(3)])

    resumed = await page(client, topic, after=cursor)
    assert resumed["resets"] == [{"partition": 0, "requested": 10, "resumedAt": 3}]
    assert resumed["gaps"] == [] and resumed["messages"] == []
    assert (await page(client, topic, fromOffset=7))["resets"] == [
        {"partition": 0, "requested": 7, "resumedAt": 3}
    ]
    failed = refusal(await client.post(PAGE, {"topic": topic, "after": cursor, "onGap": "FAIL"}))
    assert failed["earliest"] == [{"partition": 0, "offset": 0}]
    assert failed["resets"] == [{"partition": 0, "requested": 10, "resumedAt": 3}]

    # The subscription from that cursor starts at the end, and says so on its first message.
    async with client.subscribe(SUBSCRIBE, {"topic": topic, "after": cursor}) as sub:
        await joined(gateway, topic)
        written = await produce(client, topic, "new")
        first = await sub.next_message()
        assert (first["offset"], first["reset"], first["expired"]) == (written["offset"], True, 0)
        await produce(client, topic, "next")
        assert (await sub.next_message())["reset"] is False


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_a_subscription_resumed_past_deleted_records_says_how_many_expired(
    client: GraphQLClient, admin: AIOKafkaAdminClient, new_topic: TopicFactory, protocol: str
) -> None:
    topic = await new_topic()
    cursor = await ten_then_cursor(client, topic)
    await delete_before(admin, topic, 5)
    variables: dict[str, Any] = {"topic": topic, "after": cursor}
    async with client.subscribe(SUBSCRIBE, variables, protocol=protocol) as sub:
        replayed = await sub.take(5)
        assert offsets(replayed) == [5, 6, 7, 8, 9]
        assert [(m["expired"], m["reset"]) for m in replayed] == [(4, False)] + [(0, False)] * 4
        await produce(client, topic, "live")
        assert (await sub.next_message())["expired"] == 0

    variables = {"topic": topic, "fromOffset": 2}
    async with client.subscribe(SUBSCRIBE, variables, protocol=protocol) as sub:
        first = await sub.next_message()
        assert (first["offset"], first["expired"]) == (5, 3)

    variables = {"topic": topic, "after": cursor, "onGap": "FAIL"}
    async with client.subscribe(SUBSCRIBE, variables, protocol=protocol) as sub:
        event = await sub.next_event()
        assert event["type"] == "error", event
        errors = event["payload"] if protocol == TRANSPORT_WS else [event["payload"]]
        assert errors[0]["extensions"]["code"] == "CURSOR_EXPIRED"
        assert errors[0]["extensions"]["earliest"] == [{"partition": 0, "offset": 5}]


async def test_subscribers_sharing_execution_each_get_their_own_count(
    client: GraphQLClient,
    gateway: RunningGateway,
    admin: AIOKafkaAdminClient,
    new_topic: TopicFactory,
) -> None:
    """The session's gateway shares execution (server.shared_subscriptions): a message that
    reports a gap takes the normal path, and the next ones the shared one, with the same
    fields."""
    assert gateway_settings("unused").server.shared_subscriptions
    topic = await new_topic()
    cursor = await ten_then_cursor(client, topic)
    await delete_before(admin, topic, 5)
    # From the end: one member with no gap at all, one that replays past the gap.
    async with (
        client.subscribe(SUBSCRIBE, {"topic": topic}) as live,
        client.subscribe(SUBSCRIBE, {"topic": topic, "after": cursor}) as resumed,
    ):
        replayed = await resumed.take(5)
        assert [m["expired"] for m in replayed] == [4, 0, 0, 0, 0]
        await joined(gateway, topic, 2)
        await produce(client, topic, "both")
        assert await live.next_message() == await resumed.next_message()


@pytest.mark.parametrize("on_gap", ["REPORT", "FAIL"])
async def test_a_stream_whose_records_are_deleted_before_it_reads_them_reports_them(
    bootstrap: str,
    http: aiohttp.ClientSession,
    admin: AIOKafkaAdminClient,
    new_topic: TopicFactory,
    on_gap: str,
) -> None:
    """Held back (here: waiting for a reader, one per caller) while the records it was to
    read next are deleted, a stream's reader meets "offset out of range": it goes on at the
    earliest offset, and the first message says how many were gone; or, asked to fail, the
    stream ends with CURSOR_EXPIRED instead of that message."""
    settings = gateway_settings(bootstrap, max_readers_per_principal=1)
    async with run_gateway(settings) as gateway:
        client = GraphQLClient(http, gateway.url)
        topic = await new_topic()
        cursor = await ten_then_cursor(client, topic)
        readers = gateway.kafka.readers
        held = await readers.take("ip:127.0.0.1")  # the caller's one reader
        variables = {"topic": topic, "after": cursor, "onGap": on_gap}
        try:
            async with client.subscribe(SUBSCRIBE, variables) as sub:

                async def waiting() -> bool:
                    return readers.waiting == 1

                await poll_until(waiting, timeout_s=30, interval_s=0.02)
                await delete_before(admin, topic, 5)  # after the plan, before the read
                await readers.give_back(held, reusable=True, owner="ip:127.0.0.1")
                held = None
                if on_gap == "FAIL":
                    event = await sub.next_event()
                    assert event["type"] == "next", event
                    (error,) = event["payload"]["errors"]
                    assert error["extensions"]["code"] == "CURSOR_EXPIRED", error
                    assert error["extensions"]["earliest"] == [{"partition": 0, "offset": 5}]
                    assert (await sub.next_event())["type"] == "complete"
                    return
                replayed = await sub.take(5)
                assert offsets(replayed) == [5, 6, 7, 8, 9]
                assert [m["expired"] for m in replayed] == [4, 0, 0, 0, 0]
        finally:
            if held is not None:
                await readers.give_back(held, reusable=False, owner="ip:127.0.0.1")


ORDERS = """
query($first: Int, $after: Cursor, $onGap: OnGap) {
  orders(first: $first, after: $after, onGap: $onGap) {
    edges { node { offset value { id } } }
    pageInfo { endCursor }
    gaps { partition from to }
    resets { partition requested resumedAt }
  }
}"""

TYPED_SUBSCRIBE = """
subscription($after: Cursor) { orders(after: $after) { offset expired reset skipped } }"""

PRODUCE_ORDERS = """
mutation($messages: [OrderMessageInput!]!) { produceOrders(messages: $messages) { offset } }"""


def order(n: int) -> dict[str, Any]:
    return {
        "value": {
            "id": f"o-{n}",
            "placedAt": "2026-11-25T12:00:00Z",
            "status": "PLACED",
            "quantity": 1,
            "customer": {"name": "Ada"},
            "items": [],
        }
    }


async def test_typed_connections_and_subscriptions_report_the_gap(
    bootstrap: str, http: aiohttp.ClientSession, admin: AIOKafkaAdminClient
) -> None:
    topic = await create_topic(admin, partitions=1)
    rule = {"name": topic, "type": "Order", "value_schema": "order.schema.json"}
    async with typed_gateway(bootstrap, [rule]) as gateway:
        client = GraphQLClient(http, gateway.url)
        await client.data(PRODUCE_ORDERS, {"messages": [order(n) for n in range(10)]})
        first = (await client.data(ORDERS, {"first": 1}))["orders"]
        cursor = first["pageInfo"]["endCursor"]
        assert first["gaps"] == [] and first["resets"] == []
        await delete_before(admin, topic, 5)

        resumed = (await client.data(ORDERS, {"after": cursor}))["orders"]
        assert resumed["gaps"] == [GAP] and resumed["resets"] == []
        assert [e["node"]["offset"] for e in resumed["edges"]] == [5, 6, 7, 8, 9]
        failed = refusal(await client.post(ORDERS, {"after": cursor, "onGap": "FAIL"}))
        assert failed["earliest"] == [{"partition": 0, "offset": 5}]

        async with client.subscribe(TYPED_SUBSCRIBE, {"after": cursor}) as sub:
            replayed = await sub.take(5, field="orders")
            assert [(m["offset"], m["expired"]) for m in replayed] == [
                (5, 4),
                (6, 0),
                (7, 0),
                (8, 0),
                (9, 0),
            ]


async def test_a_live_subscriber_held_back_past_a_deletion_reports_the_gap(
    bootstrap: str,
    http: aiohttp.ClientSession,
    admin: AIOKafkaAdminClient,
    new_topic: TopicFactory,
) -> None:
    """A live subscriber whose inbox overflows is detached from the shared feed and catches up
    with a reader of its own (kafka/stream.py); the records it was to read next are deleted
    meanwhile (it waits for its caller's one reader): the Kafka layer adds the gap to the
    stream's `gaps` and goes on at the earliest offset, losing nothing else."""
    settings = gateway_settings(bootstrap, max_readers_per_principal=1, subscriber_buffer_batches=1)
    async with run_gateway(settings) as gateway:
        client = GraphQLClient(http, gateway.url)
        topic = await new_topic()
        readers, live = gateway.kafka.readers, gateway.kafka.live
        held: Any = await readers.take("held-back")
        gaps = Gaps()
        stream = gateway.kafka.stream(
            topic, None, None, lambda r: True, max_batches=1, owner="held-back", gaps=gaps
        )
        pending = asyncio.ensure_future(anext(stream))
        try:
            await joined(gateway, topic)
            for i in range(10):
                await produce(client, topic, i)  # each write is its own batch on the feed
            feed = live.feed(topic)
            assert feed is not None
            await asyncio.wait_for(live.wait_until(lambda: feed.positions[0] >= 10), 30)
            assert live.subscriber_count(topic) == 0  # overflowed and detached
            got: list[int] = []

            async def waiting() -> bool:
                nonlocal pending
                if pending.done():  # record 0 reached it before its inbox overflowed
                    got.append(pending.result()[0].offset)
                    pending = asyncio.ensure_future(anext(stream))
                return readers.waiting == 1

            await poll_until(waiting, timeout_s=30, interval_s=0.02)
            await delete_before(admin, topic, 5)
            await readers.give_back(held, reusable=True, owner="held-back")
            held = None
            got.append((await asyncio.wait_for(pending, 30))[0].offset)
            while got[-1] < 9:
                got.append((await asyncio.wait_for(anext(stream), 30))[0].offset)
            gone_from = 1 if got[0] == 0 else 0
            assert got[gone_from:] == [5, 6, 7, 8, 9]
            assert gaps.gaps == [Gap(0, gone_from, 5)] and gaps.resets == []
            assert gaps.take(0) == (5 - gone_from, False)
        finally:
            pending.cancel()
            await stream.aclose()  # type: ignore[attr-defined]
            if held is not None:
                await readers.give_back(held, reusable=False, owner="held-back")
