"""Live subscriptions over both WebSocket protocols, replay, cursors and the live hand-off."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions

from tests.clients import LEGACY_WS, TRANSPORT_WS, GraphQLClient
from tests.integration.conftest import RunningGateway, TopicFactory, gateway_settings, run_gateway
from tests.integration.helpers import (
    PRODUCE,
    SUBSCRIBE,
    history,
    ids,
    poll_until,
    produce,
    produce_batch,
)


async def joined(gateway: RunningGateway, topic: str, count: int = 1) -> None:
    live = gateway.kafka.live
    await asyncio.wait_for(live.wait_until(lambda: live.subscriber_count(topic) >= count), 30)


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_live_subscription_receives_new_messages_only(
    client: GraphQLClient, gateway: RunningGateway, new_topic: TopicFactory, protocol: str
) -> None:
    topic = await new_topic(partitions=2)
    await produce(client, topic, "before")
    async with client.subscribe(SUBSCRIBE, {"topic": topic}, protocol=protocol) as sub:
        await joined(gateway, topic)
        written = await produce(client, topic, {"hello": "world"}, key="k")
        message = await sub.next_message()
        assert message["value"] == {"hello": "world"}
        assert (message["partition"], message["offset"]) == (
            written["partition"],
            written["offset"],
        )
        assert message["key"] == "k" and message["topic"] == topic


async def test_legacy_protocol_requires_connection_init(
    gateway: RunningGateway, http: aiohttp.ClientSession, new_topic: TopicFactory
) -> None:
    topic = await new_topic()
    async with http.ws_connect(gateway.url, protocols=[LEGACY_WS]) as ws:
        await ws.send_json(
            {
                "id": "1",
                "type": "start",
                "payload": {"query": SUBSCRIBE, "variables": {"topic": topic}},
            }
        )
        reply = await ws.receive()
        # Refused: either closed, or an error, never data.
        if reply.type == aiohttp.WSMsgType.TEXT:
            assert reply.json()["type"] in ("error", "connection_error"), reply.data
        else:
            assert reply.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert gateway.kafka.live.subscriber_count(topic) == 0


async def test_transport_protocol_requires_connection_init(
    gateway: RunningGateway, http: aiohttp.ClientSession, new_topic: TopicFactory
) -> None:
    topic = await new_topic()
    async with http.ws_connect(gateway.url, protocols=[TRANSPORT_WS]) as ws:
        await ws.send_json(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": SUBSCRIBE, "variables": {"topic": topic}},
            }
        )
        reply = await ws.receive()
        assert reply.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert ws.close_code == 4401


async def test_replay_from_offset_then_live_without_gap_or_duplicate(
    client: GraphQLClient, gateway: RunningGateway, new_topic: TopicFactory
) -> None:
    topic = await new_topic(partitions=3)
    before = await produce_batch(client, topic, [{"value": i, "key": f"k{i}"} for i in range(30)])
    async with client.subscribe(SUBSCRIBE, {"topic": topic, "fromOffset": 0}) as sub:
        replayed = await sub.take(30)
        assert sorted(ids(replayed)) == sorted((r["partition"], r["offset"]) for r in before)
        await joined(gateway, topic)
        after = await produce_batch(
            client, topic, [{"value": i, "key": f"k{i}"} for i in range(30, 45)]
        )
        live = await sub.take(15)
        assert sorted(ids(live)) == sorted((r["partition"], r["offset"]) for r in after)


async def test_replay_while_producing_hands_off_exactly(
    client: GraphQLClient, gateway: RunningGateway, new_topic: TopicFactory
) -> None:
    """Messages keep arriving while the replay runs: the hand-off to the shared live consumer
    must neither lose nor repeat any of them."""
    topic = await new_topic(partitions=3)
    await produce_batch(client, topic, [{"value": i} for i in range(200)])
    # Keep a live feed busy on the topic so the replaying stream must catch up with it.
    async with client.subscribe(SUBSCRIBE, {"topic": topic}) as watcher:
        await joined(gateway, topic)

        async def keep_producing() -> list[dict[str, Any]]:
            written = []
            for i in range(200, 260):
                written.append(await produce(client, topic, i))
            return written

        writer = asyncio.create_task(keep_producing())
        async with client.subscribe(SUBSCRIBE, {"topic": topic, "fromOffset": 0}) as sub:
            written = await writer
            got = await sub.take(260)
            assert len(set(ids(got))) == 260
            assert sorted(m["value"] for m in got) == list(range(260))
            assert {(w["partition"], w["offset"]) for w in written} <= set(ids(got))
        watched = await watcher.take(60)
        assert sorted(m["value"] for m in watched) == list(range(200, 260))


@pytest.mark.parametrize("with_filter", [False, True])
async def test_resume_from_cursor_delivers_exactly_what_followed(
    client: GraphQLClient, gateway: RunningGateway, new_topic: TopicFactory, with_filter: bool
) -> None:
    topic = await new_topic(partitions=3)
    filter_ = {"value": [{"path": "n", "gte": 10}]} if with_filter else None
    await produce_batch(client, topic, [{"value": {"n": i % 20}} for i in range(60)])
    expected_total = 60 if not with_filter else 30
    async with client.subscribe(
        SUBSCRIBE, {"topic": topic, "fromOffset": 0, "filter": filter_}
    ) as first:
        await joined(gateway, topic)
        await produce_batch(client, topic, [{"value": {"n": i % 20}} for i in range(60, 80)])
        delivered = await first.take(expected_total + (10 if with_filter else 20))
    cut = len(delivered) // 3
    cursor = delivered[cut]["cursor"]
    followed = delivered[cut + 1 :]
    async with client.subscribe(
        SUBSCRIBE, {"topic": topic, "after": cursor, "filter": filter_}
    ) as second:
        resumed = await second.take(len(followed))
        assert sorted(ids(resumed)) == sorted(ids(followed))
        # And then nothing more until something new arrives: the next message is the new one.
        new = await produce(client, topic, {"n": 15})
        nxt = await second.next_message()
        assert (nxt["partition"], nxt["offset"]) == (new["partition"], new["offset"])


async def test_a_client_leaving_during_the_replay_ends_its_stream(
    client: GraphQLClient, gateway: RunningGateway, new_topic: TopicFactory
) -> None:
    """The client leaves while its stream hands off from its own reader to the shared feed (the
    reader is being stopped then): the stream ends, and with it the topic's consumer."""
    topic = await new_topic()
    await produce_batch(client, topic, [{"value": i} for i in range(10)])
    live = gateway.kafka.live
    for _ in range(5):
        async with client.subscribe(SUBSCRIBE, {"topic": topic, "fromOffset": 0}) as sub:
            await sub.take(4)
        await asyncio.wait_for(live.wait_until(lambda: live.feed_count(topic) == 0), 30)


async def test_cursor_resumes_on_a_restarted_gateway(
    client: GraphQLClient, new_topic: TopicFactory, bootstrap: str, http: aiohttp.ClientSession
) -> None:
    topic = await new_topic(partitions=2)
    await produce_batch(client, topic, [{"value": i} for i in range(10)])
    async with run_gateway(gateway_settings(bootstrap)) as first_instance:
        first = GraphQLClient(http, first_instance.url)
        async with first.subscribe(SUBSCRIBE, {"topic": topic, "fromOffset": 0}) as sub:
            got = await sub.take(4)
    cursor = got[-1]["cursor"]
    await produce_batch(client, topic, [{"value": i} for i in range(10, 15)])
    async with run_gateway(gateway_settings(bootstrap)) as second_instance:
        second = GraphQLClient(http, second_instance.url)
        async with second.subscribe(SUBSCRIBE, {"topic": topic, "after": cursor}) as sub:
            rest = await sub.take(11)
    assert sorted(m["value"] for m in got + rest) == list(range(15))


async def test_history_cursor_goes_live_without_gap(
    client: GraphQLClient, gateway: RunningGateway, new_topic: TopicFactory
) -> None:
    topic = await new_topic(partitions=2)
    await produce_batch(client, topic, [{"value": i} for i in range(10)])
    page = await history(client, topic, limit=6)
    assert len(page["messages"]) == 6 and page["hasMore"]
    async with client.subscribe(SUBSCRIBE, {"topic": topic, "after": page["nextCursor"]}) as sub:
        await produce(client, topic, 10)
        rest = await sub.take(5)
    values = [m["value"] for m in page["messages"]] + [m["value"] for m in rest]
    assert sorted(values) == list(range(11))


async def test_slow_subscriber_catches_up_on_its_own_without_loss(
    bootstrap: str, http: aiohttp.ClientSession, new_topic: TopicFactory
) -> None:
    """A subscriber whose inbox overflows is dropped by the shared feed and catches up with its
    own reader: it loses nothing, and the feed never waited for it."""
    async with run_gateway(gateway_settings(bootstrap, subscriber_buffer_batches=1)) as gateway:
        client = GraphQLClient(http, gateway.url)
        topic = await new_topic(partitions=2)
        live = gateway.kafka.live
        stream = gateway.kafka.stream(topic, None, None, lambda r: True, max_batches=1)
        pending = asyncio.ensure_future(anext(stream))
        await asyncio.wait_for(live.wait_until(lambda: live.subscriber_count(topic) == 1), 30)
        for i in range(20):
            await produce(client, topic, i)  # each write is its own batch on the feed
        feed = live.feed(topic)
        assert feed is not None
        # Wait until the feed has read all 20 records: the subscriber cannot hold them all.
        await asyncio.wait_for(live.wait_until(lambda: sum(feed.positions.values()) >= 20), 30)
        assert live.subscriber_count(topic) == 0  # overflowed and detached
        values = [(await asyncio.wait_for(pending, 30))[0].value]
        while len(values) < 20:
            record, _ = await asyncio.wait_for(anext(stream), 30)
            values.append(record.value)
        await stream.aclose()  # type: ignore[attr-defined]
        assert sorted(values) == list(range(20))


async def test_partitions_added_to_a_topic_are_followed_live_and_by_cursors(
    client: GraphQLClient,
    gateway: RunningGateway,
    new_topic: TopicFactory,
    admin: AIOKafkaAdminClient,
) -> None:
    topic = await new_topic(partitions=1)
    async with client.subscribe(SUBSCRIBE, {"topic": topic}) as sub:
        await joined(gateway, topic)
        first = await produce(client, topic, "p0", partition=0)
        assert (await sub.next_message())["value"] == "p0"
        await admin.create_partitions({topic: NewPartitions(total_count=2)})
        # The gateway's metadata cache (1 s in tests) learns of the new partition by itself;
        # until then the partition is refused as unknown, and nothing is written.

        async def write_to_new_partition() -> bool:
            body = await client.post(PRODUCE, {"topic": topic, "value": "p1", "partition": 1})
            if "errors" in body:
                assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
                return False
            return True

        await poll_until(write_to_new_partition, timeout_s=30, interval_s=0.2)
        message = await sub.next_message()
        assert (message["partition"], message["value"]) == (1, "p1")
    # The cursor from before the growth resumes into the new partition from its beginning.
    page = await history(client, topic, fromOffset=first["offset"], partitions=[0])
    async with client.subscribe(
        SUBSCRIBE, {"topic": topic, "after": page["messages"][0]["cursor"]}
    ) as sub:
        resumed = await sub.next_message()
        assert (resumed["partition"], resumed["value"]) == (1, "p1")
