"""Broker restarts and crashes under load, checked against a ledger of what clients were told.

Concurrent produces (single and batched) and subscriptions on both WebSocket subprotocols run
while the broker is stopped (SIGTERM) or killed (SIGKILL) and started again, FAULT_CYCLES times
(`make soak` runs many more). Then the whole topic is read with a plain aiokafka consumer:
- every acknowledged write is on the topic exactly once, with its content, where it was reported;
- no write answered KAFKA_UNAVAILABLE is on the topic, and no write is there twice;
- each subscriber, resuming by cursor after an error as a mobile client would, received each
  partition's log in order with no gap and no duplicate;
- after every restart writes resume (the wedge of aiokafka #1017 would stop them for good),
  /readyz is 503 while the broker is gone, 200 once writes can succeed, and writes succeed then.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from tests.clients import LEGACY_WS, TRANSPORT_WS, GraphQLClient
from tests.integration.brokers import PrivateBroker
from tests.integration.conftest import UNTHROTTLED, gateway_settings, run_gateway
from tests.integration.helpers import PRODUCE, PRODUCE_BATCH, SUBSCRIBE, poll_until

CYCLES = int(os.environ.get("FAULT_CYCLES", "6"))
REQUEST_TIMEOUT_S = 2
PARTITIONS = 2
SINGLE_WRITERS = 5
BATCH = 4
# Acknowledged writes to see between two faults: the gateway writes again, not just once.
ACKS_PER_CYCLE = 40
# A client's own pause after an error before it tries again (not a synchronisation).
CLIENT_RETRY_PAUSE_S = 0.05


@dataclass
class Ledger:
    """What each write's client was told."""

    acked: dict[str, tuple[int, int] | None] = field(default_factory=dict)  # None: batch index
    refused: set[str] = field(default_factory=set)
    unknown: set[str] = field(default_factory=set)
    unexpected: list[Any] = field(default_factory=list)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def record(self, values: list[str], body: dict[str, Any], field_name: str) -> None:
        data = body.get("data") or {}
        if "errors" not in body:
            results = data[field_name]
            results = results if isinstance(results, list) else [results]
            for value, result in zip(values, results, strict=True):
                self.acked[value] = (result["partition"], result["offset"])
        else:
            (error,) = body["errors"]
            extensions = error["extensions"]
            code = extensions["code"]
            if code not in ("KAFKA_UNAVAILABLE", "KAFKA_TIMEOUT"):
                self.unexpected.append(error)
            written = set(extensions.get("written", []))
            unknown = set(extensions.get("unknown", []))
            if code == "KAFKA_TIMEOUT" and len(values) == 1:
                unknown = {0}
            for index, value in enumerate(values):
                if index in written:
                    self.acked[value] = None
                elif index in unknown:
                    self.unknown.add(value)
                else:
                    self.refused.add(value)
        async with self.changed:
            self.changed.notify_all()

    async def wait_for_acks(self, count: int, timeout_s: float, why: str) -> None:
        try:
            async with asyncio.timeout(timeout_s):
                async with self.changed:
                    await self.changed.wait_for(lambda: len(self.acked) >= count)
        except TimeoutError:
            raise AssertionError(
                f"{why}: {len(self.acked)} of {count} acknowledged within {timeout_s} s"
                f" ({len(self.refused)} refused, {len(self.unknown)} unknown)"
            ) from None


@dataclass
class Received:
    """What one subscriber was delivered, per partition."""

    by_partition: dict[int, list[tuple[int, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    cursor: str | None = None
    resumes: int = 0
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    def total(self) -> int:
        return sum(len(v) for v in self.by_partition.values())


async def _subscriber(client: GraphQLClient, topic: str, protocol: str, into: Received) -> None:
    """Subscribe from the start; after an error or a dropped socket, resume from the last
    cursor, as a mobile client does."""
    while True:
        variables: dict[str, Any] = {"topic": topic}
        if into.cursor is None:
            variables["fromOffset"] = 0
        else:
            variables["after"] = into.cursor
        with contextlib.suppress(ConnectionError, aiohttp.ClientError, TimeoutError):
            async with client.subscribe(SUBSCRIBE, variables, protocol) as subscription:
                while True:
                    event = await subscription.next_event()
                    if event["type"] not in ("next", "data") or "errors" in event["payload"]:
                        break  # an error or complete: resume from the cursor
                    message = event["payload"]["data"]["messages"]
                    into.by_partition[message["partition"]].append(
                        (message["offset"], message["value"])
                    )
                    into.cursor = message["cursor"]
                    async with into.changed:
                        into.changed.notify_all()
        into.resumes += 1
        await asyncio.sleep(CLIENT_RETRY_PAUSE_S)


async def _read_log(
    bootstrap: str, topic: str, partitions: int = PARTITIONS
) -> dict[int, list[tuple[int, str]]]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        log: dict[int, list[tuple[int, str]]] = defaultdict(list)
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            batch = await consumer.getmany(timeout_ms=1000)
            for tp, records in batch.items():
                for r in records:
                    log[tp.partition].append((r.offset, r.value.decode().strip('"')))
        return log
    finally:
        await consumer.stop()


@pytest.mark.timeout(120 + CYCLES * 90)
async def test_restarts_and_crashes_under_load_lose_and_duplicate_nothing(
    private_broker: PrivateBroker, http: aiohttp.ClientSession
) -> None:
    topic = f"test-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=private_broker.bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, PARTITIONS, 1)])
    await admin.close()
    # Budgets far above what the writers can use: this test is about faults, and a writer that
    # the gateway got fast enough to spend the default budget would see RATE_LIMITED.
    settings = gateway_settings(private_broker.bootstrap, REQUEST_TIMEOUT_S, 1, **UNTHROTTLED)
    ledger = Ledger()
    stop = asyncio.Event()

    async with run_gateway(settings) as gateway:
        client = GraphQLClient(http, gateway.url)
        readyz = gateway.url.removesuffix("/graphql") + "/readyz"

        def ready_is(status: int) -> Callable[[], Awaitable[bool]]:
            async def check() -> bool:
                async with http.get(readyz) as response:
                    return response.status == status

            return check

        async def single_writer(i: int) -> None:
            for n in itertools.count():
                if stop.is_set():
                    return
                value = f"s{i}-{n}"
                body = await client.post(PRODUCE, {"topic": topic, "value": value})
                await ledger.record([value], body, "produce")
                if "errors" in body:
                    await asyncio.sleep(CLIENT_RETRY_PAUSE_S)

        async def batch_writer() -> None:
            for n in itertools.count():
                if stop.is_set():
                    return
                values = [f"b{n}-{k}" for k in range(BATCH)]
                messages = [{"value": v} for v in values]
                body = await client.post(PRODUCE_BATCH, {"topic": topic, "messages": messages})
                await ledger.record(values, body, "produceBatch")
                if "errors" in body:
                    await asyncio.sleep(CLIENT_RETRY_PAUSE_S)

        # The topic's metadata may still be on its way to the broker.
        await poll_until(ready_is(200), timeout_s=30, interval_s=0.2)
        received = {TRANSPORT_WS: Received(), LEGACY_WS: Received()}
        subscribers = [
            asyncio.create_task(_subscriber(client, topic, protocol, into))
            for protocol, into in received.items()
        ]
        writers = [asyncio.create_task(single_writer(i)) for i in range(SINGLE_WRITERS)]
        writers.append(asyncio.create_task(batch_writer()))
        try:
            for cycle in range(CYCLES):
                await ledger.wait_for_acks(
                    len(ledger.acked) + ACKS_PER_CYCLE,
                    timeout_s=60,
                    why=f"writes did not resume after restart {cycle} (a wedged producer)",
                )
                # Writes succeed, so the gateway must say it is ready.
                await poll_until(ready_is(200), timeout_s=2 * REQUEST_TIMEOUT_S, interval_s=0.1)
                if cycle % 2:
                    await private_broker.kill()
                else:
                    await private_broker.down()
                await poll_until(ready_is(503), timeout_s=15, interval_s=0.1)
                await private_broker.up()
                await poll_until(ready_is(200), timeout_s=60, interval_s=0.1)
                # Ready means writable: an acknowledgement follows within a request timeout.
                await ledger.wait_for_acks(
                    len(ledger.acked) + 1,
                    timeout_s=2 * REQUEST_TIMEOUT_S + 1,
                    why=f"/readyz said ready after restart {cycle} but writes failed",
                )
            await ledger.wait_for_acks(len(ledger.acked) + ACKS_PER_CYCLE, 60, "writes stopped")
        finally:
            stop.set()
            await asyncio.gather(*writers)

        log = await _read_log(private_broker.bootstrap, topic)
        total = sum(len(v) for v in log.values())
        try:
            for protocol, into in received.items():
                try:
                    async with asyncio.timeout(60):
                        async with into.changed:
                            await into.changed.wait_for(lambda into=into: into.total() >= total)  # type: ignore[misc]
                except TimeoutError:
                    raise AssertionError(
                        f"{protocol} subscriber got {into.total()} of {total} records"
                        f" ({into.resumes} resumes)"
                    ) from None
        finally:
            for task in subscribers:
                task.cancel()
            await asyncio.gather(*subscribers, return_exceptions=True)

    assert ledger.unexpected == []
    on_topic = [value for records in log.values() for _, value in records]
    where = {value: (p, o) for p, records in log.items() for o, value in records}
    assert len(on_topic) == len(set(on_topic)), "a write is on the topic twice"
    for value, position in ledger.acked.items():
        assert value in where, f"acknowledged write {value} is missing"
        assert position is None or where[value] == position, value
    assert not (ledger.refused & set(where)), "writes answered KAFKA_UNAVAILABLE were written"
    assert set(where) <= set(ledger.acked) | ledger.unknown
    for protocol, into in received.items():
        assert dict(into.by_partition) == dict(log), f"{protocol} subscriber: gap or duplicate"
    assert len(ledger.acked) >= (CYCLES + 1) * ACKS_PER_CYCLE


async def test_a_producer_without_progress_while_kafka_answers_is_replaced(
    bootstrap: str, admin: AIOKafkaAdminClient, http: aiohttp.ClientSession
) -> None:
    """A real stall with the broker up: the topic is deleted under a write. The producer retries
    the record for ever (UNKNOWN_TOPIC_OR_PARTITION is retriable, and an idempotent batch never
    expires) while Kafka answers every metadata request. The client is told the outcome is
    unknown, the stuck producer is replaced, and writes work again once the topic is back."""
    topic = f"test-{uuid.uuid4().hex[:8]}"
    await admin.create_topics([NewTopic(topic, 1, 1)])
    # Metadata trusted for 60 s: the gateway keeps believing in the topic, so the write reaches
    # the producer.
    settings = gateway_settings(bootstrap, REQUEST_TIMEOUT_S, 60)
    async with run_gateway(settings) as gateway:
        client = GraphQLClient(http, gateway.url)
        readyz = gateway.url.removesuffix("/graphql") + "/readyz"

        async def written(value: str) -> bool:
            return "errors" not in await client.post(PRODUCE, {"topic": topic, "value": value})

        await poll_until(lambda: written("before"), timeout_s=30, interval_s=0.1)
        await admin.delete_topics([topic])
        assert await client.error_codes(PRODUCE, {"topic": topic, "value": "stuck"}) == [
            "KAFKA_TIMEOUT"
        ]
        await poll_until(
            lambda: _true(gateway.kafka.producer_replacements >= 1), timeout_s=30, interval_s=0.1
        )
        await poll_until(lambda: _topic_gone(admin, topic), timeout_s=30, interval_s=0.1)
        await admin.create_topics([NewTopic(topic, 1, 1)])
        await poll_until(lambda: written("after"), timeout_s=60, interval_s=0.2)
        async with http.get(readyz) as response:
            assert response.status == 200

    values = [value for _, value in (await _read_log(bootstrap, topic, partitions=1))[0]]
    # The recreated topic holds the write acknowledged after it, once; "stuck" was never
    # acknowledged, so whether it is there is not promised, but never twice.
    assert values.count("after") == 1
    assert values.count("stuck") <= 1


async def _true(condition: bool) -> bool:
    return condition


async def _topic_gone(admin: AIOKafkaAdminClient, topic: str) -> bool:
    return topic not in await admin.list_topics()


async def test_a_live_feed_that_stops_fetching_is_replaced_without_a_gap(
    bootstrap: str, admin: AIOKafkaAdminClient, http: aiohttp.ClientSession
) -> None:
    """aiokafka #1154: a consumer can stop fetching without an error. Here the shared feed's
    real consumer is made to stop (its partition paused, which looks the same from outside);
    the feed's watchdog must notice that the log holds more, replace the consumer at the feed's
    positions, and the subscriber must get every record once, in order."""
    topic = f"test-{uuid.uuid4().hex[:8]}"
    await admin.create_topics([NewTopic(topic, 1, 1)])
    settings = gateway_settings(bootstrap, REQUEST_TIMEOUT_S, 0.5)
    async with run_gateway(settings) as gateway:
        client = GraphQLClient(http, gateway.url)
        hub = gateway.kafka.live
        async with client.subscribe(SUBSCRIBE, {"topic": topic}) as subscription:
            await hub.wait_until(lambda: hub.subscriber_count(topic) == 1)
            feed = hub.feed(topic)
            assert feed is not None
            feed._consumer.pause(TopicPartition(topic, 0))
            for i in range(5):
                assert "errors" not in await client.post(PRODUCE, {"topic": topic, "value": i})
            messages = await subscription.take(5)
            assert [m["value"] for m in messages] == [0, 1, 2, 3, 4]
            assert [m["offset"] for m in messages] == [0, 1, 2, 3, 4]
            assert feed.restarts >= 1
