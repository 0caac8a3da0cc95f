"""The live feed's filter index changes what the gateway does per record, never what a
subscriber receives: each gets exactly its records, in order, indexed or not, live or caught up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import pytest_asyncio

from tests.clients import GraphQLClient, Subscription
from tests.integration.conftest import RunningGateway, TopicFactory, gateway_settings, run_gateway
from tests.integration.helpers import SUBSCRIBE, produce, produce_batch

# Filters as the client sends them, and the same condition over a produced message.
FILTERS: list[dict[str, Any] | None] = [
    {"key": "k0"},
    {"key": "k0"},
    {"key": "k1"},
    {"key": "k2"},
    {"key": "k-none"},  # no record has it: filed, never offered anything
    {"headers": [{"key": "tenant", "value": "t0"}]},
    {"headers": [{"key": "tenant", "value": "t1"}]},
    {"key": "k1", "headers": [{"key": "tenant", "value": "t1"}]},
    {"key": "k2", "value": [{"path": "n", "gte": 30}]},
    # Not indexable: offered every record, as before the index.
    {"keyPrefix": "k1"},
    {"value": [{"path": "n", "lt": 10}]},
    {"headers": [{"key": "tenant"}]},
    None,
    None,
]


def matches(filter_: dict[str, Any] | None, message: dict[str, Any]) -> bool:
    if filter_ is None:
        return True
    headers = {(h["key"], h.get("value")) for h in message.get("headers", [])}
    for wanted in filter_.get("headers", []):
        if "value" in wanted:
            if (wanted["key"], wanted["value"]) not in headers:
                return False
        elif wanted["key"] not in {name for name, _ in headers}:
            return False
    n = message["value"]["n"]
    checks = [
        filter_.get("key") in (None, message.get("key")),
        message.get("key", "").startswith(filter_.get("keyPrefix", "")),
        all(n >= c.get("gte", n) and n < c.get("lt", n + 1) for c in filter_.get("value", [])),
    ]
    return all(checks)


def record(n: int) -> dict[str, Any]:
    message: dict[str, Any] = {"value": {"n": n}}
    if n % 7:
        message["key"] = f"k{n % 4}"
    if n % 3 == 0:
        message["headers"] = [{"key": "tenant", "value": f"t{n % 2}"}]
    elif n % 5 == 0:
        message["headers"] = [{"key": "tenant", "value": "t1"}, {"key": "tenant", "value": "t1"}]
    return message


# A last batch that every filter matches at least once. A subscriber's last expected record is
# in it, so a record it should not get, anywhere before, would show in the list it receives.
CLOSING: list[dict[str, Any]] = [
    {"value": {"n": 0}, "key": "k0", "headers": [{"key": "tenant", "value": "t0"}]},
    {"value": {"n": 40}, "key": "k1", "headers": [{"key": "tenant", "value": "t1"}]},
    {"value": {"n": 40}, "key": "k2"},
    {"value": {"n": 40}, "key": "k-none"},
]


@pytest_asyncio.fixture
async def gateway(bootstrap: str) -> AsyncIterator[RunningGateway]:
    # One caller (127.0.0.1) holds every subscriber's socket: caps and budget to match.
    n = 2 * len(FILTERS)
    settings = gateway_settings(
        bootstrap,
        max_connections_per_principal=n,
        max_subscriptions_per_principal=n,
        cost_budget=100 * n,
        delivery_messages_per_s=1000 * n,
    )
    async with run_gateway(settings) as running:
        yield running


async def receive_exactly(
    sub: Subscription, filter_: dict[str, Any] | None, written: list[dict[str, Any]]
) -> None:
    """`sub` gets the written messages its filter matches, in order, and nothing else."""
    expected = [w for w in written if matches(filter_, w)]
    assert any(matches(filter_, w) for w in written[-len(CLOSING) :])
    got = await sub.take(len(expected))
    assert [m["offset"] for m in got] == [w["offset"] for w in expected], filter_
    assert all(m["key"] == w.get("key") for m, w in zip(got, expected, strict=True))


async def test_each_subscriber_gets_exactly_its_records_indexed_or_not(
    client: GraphQLClient, gateway: RunningGateway, new_topic: TopicFactory
) -> None:
    topic = await new_topic(partitions=1)
    async with AsyncExitStack() as stack:
        subs = [
            await stack.enter_async_context(
                client.subscribe(SUBSCRIBE, {"topic": topic, "filter": f})
            )
            for f in FILTERS
        ]
        live = gateway.kafka.live
        await asyncio.wait_for(
            live.wait_until(lambda: live.subscriber_count(topic) == len(FILTERS)), 30
        )
        feed = live.feed(topic)
        assert feed is not None and feed._index.filed  # the index is in use
        assert len(feed._index.unfiled) == 5
        messages = [record(n) for n in range(60)] + CLOSING
        written: list[dict[str, Any]] = []
        for start in range(0, len(messages), 16):  # several feed batches
            batch = messages[start : start + 16]
            acks = await produce_batch(client, topic, batch)
            written += [{**m, "offset": a["offset"]} for m, a in zip(batch, acks, strict=True)]
        await asyncio.gather(
            *(receive_exactly(s, f, written) for s, f in zip(subs, FILTERS, strict=True))
        )


async def test_catch_up_hands_off_exactly_to_an_indexed_subscriber(
    client: GraphQLClient, gateway: RunningGateway, new_topic: TopicFactory
) -> None:
    """Replaying from offset 0 while records keep coming: the catch-up reader and the filed
    subscriber share the records between them, none lost, none twice."""
    topic = await new_topic(partitions=3)
    keys = ("a", "b", "c")
    await produce_batch(client, topic, [{"value": i, "key": keys[i % 3]} for i in range(150)])
    # A subscriber keeps the feed busy, so the replaying stream has to catch up with it.
    async with client.subscribe(SUBSCRIBE, {"topic": topic}) as watcher:
        live = gateway.kafka.live
        await asyncio.wait_for(live.wait_until(lambda: live.subscriber_count(topic) >= 1), 30)

        async def keep_producing() -> None:
            for i in range(150, 240):
                await produce(client, topic, i, key=keys[i % 3])

        writer = asyncio.create_task(keep_producing())
        async with client.subscribe(
            SUBSCRIBE, {"topic": topic, "fromOffset": 0, "filter": {"key": "b"}}
        ) as sub:
            await writer
            got = await sub.take(80)
            assert sorted(m["value"] for m in got) == list(range(1, 240, 3))
            # In order within each partition.
            for partition in range(3):
                offsets = [m["offset"] for m in got if m["partition"] == partition]
                assert offsets == sorted(offsets)
            # And nothing more: the next is a new record for it, not a repeat.
            await produce(client, topic, 1000, key="b")
            assert (await sub.next_message())["value"] == 1000
        assert len(await watcher.take(90)) == 90
