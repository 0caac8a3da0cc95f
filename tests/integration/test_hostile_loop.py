"""The event loop is never held for long (issue 14, point 2): the heaviest pages, typed pages,
live deliveries and catch-ups a caller can ask for work in slices, while `/healthz` and another
caller are answered.

Measured by the gateway's own loop monitor (runtime/loop_monitor.py), as the CPU time the loop's
thread ran in its longest stall: what this process's work held, which the rest of a loaded test
machine cannot inflate. Before the work was sliced, one such request held it for 0.5 to 9
seconds."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from kafka_graphql.core.slices import Slices
from kafka_graphql.runtime.loop_monitor import LoopMonitor
from kafka_graphql.server import LOOP_MONITOR
from kafka_graphql.settings import settings_from_mapping
from kafka_graphql.settings.limits import LimitsSettings
from tests.clients import GraphQLClient
from tests.integration.conftest import (
    UNTHROTTLED,
    RunningGateway,
    TopicFactory,
    gateway_settings,
    run_gateway,
)
from tests.integration.helpers import HISTORY, SUBSCRIBE, create_served_topic

# The longest the loop may be held in these tests: generous for a loaded machine; one slice is
# ~10 ms, and unsliced the same work held it for 500 ms and more.
BOUND_S = 0.25
# The heaviest filter the limits allow: 20 conditions of 100 `in` values. A record holding
# `BUSY` passes the first 19 after comparing all their values, then fails the last: every
# record costs every comparison, and none matches.
CONDITIONS, VALUES = 20, 100
HEAVY = {"value": [{"path": f"f{i}", "in": list(range(VALUES))} for i in range(CONDITIONS)]}
BUSY = {f"f{i}": VALUES - 1 for i in range(CONDITIONS - 1)}
MATCH = {f"f{i}": VALUES - 1 for i in range(CONDITIONS)}


async def write(producer: AIOKafkaProducer, topic: str, values: list[Any], **kwargs: Any) -> None:
    futures = [await producer.send(topic, json.dumps(v).encode(), **kwargs) for v in values]
    await asyncio.gather(*futures)


def held(gateway: RunningGateway) -> float:
    monitor: LoopMonitor = gateway.app[LOOP_MONITOR]
    return monitor.figures.longest_held_s


@asynccontextmanager
async def healthz_answers(
    http: aiohttp.ClientSession, gateway: RunningGateway
) -> AsyncIterator[list[tuple[int, float]]]:
    """(status, seconds) of `/healthz`, asked every 20 ms for as long as the block runs."""
    url = gateway.url.rsplit("/", 1)[0] + "/healthz"
    answers: list[tuple[int, float]] = []

    async def ask() -> None:
        while True:
            started = time.perf_counter()
            async with http.get(url) as response:
                await response.read()
                answers.append((response.status, time.perf_counter() - started))
            await asyncio.sleep(0.02)  # a probe's pace, not a wait for an event

    task = asyncio.create_task(ask())
    try:
        yield answers
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


# Three scans of limits.max_scan_records records, each failing the heaviest filter on its last
# condition: ~10 s of CPU apiece on this machine, so several times that on a loaded one.
@pytest.mark.timeout(360)
async def test_the_heaviest_filter_pages_leave_the_loop_and_other_callers_free(
    bootstrap: str,
    http: aiohttp.ClientSession,
    admin: AIOKafkaAdminClient,
    raw_producer: AIOKafkaProducer,
    new_topic: TopicFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    topic = await new_topic(partitions=2)
    # A whole scan's worth (limits.max_scan_records) of records that cost every comparison, and
    # three that match, spread over both partitions; the scan covers them all.
    scan = LimitsSettings().max_scan_records
    values = [BUSY] * scan
    for at in (10, scan // 2, scan - 10):
        values[at] = {**MATCH, "at": at}
    await write(raw_producer, topic, values[: scan // 2], partition=0)
    await write(raw_producer, topic, values[scan // 2 :], partition=1)
    plain = await new_topic()
    await write(raw_producer, plain, [{"n": i} for i in range(5)])
    # The heavy scans are held at their first pause until the other caller has its page: a pause
    # in the middle of a scan is where the loop is free for everyone else.
    paused, resume = asyncio.Event(), asyncio.Event()
    pause = Slices.pause

    async def held_pause(self: Slices) -> None:
        paused.set()
        await resume.wait()
        await pause(self)

    settings = gateway_settings(bootstrap, **UNTHROTTLED)
    async with run_gateway(settings) as gateway:
        heavy, other = GraphQLClient(http, gateway.url), GraphQLClient(http, gateway.url)
        gateway.app[LOOP_MONITOR].reset()
        async with healthz_answers(http, gateway) as answers:
            monkeypatch.setattr(Slices, "pause", held_pause)
            pages = [
                asyncio.ensure_future(
                    heavy.data(HISTORY, {"topic": topic, "limit": 10, "filter": HEAVY})
                )
                for _ in range(3)
            ]
            await asyncio.wait_for(paused.wait(), 60)
            # Another caller's page, and /healthz, are answered while the heavy ones scan.
            page = await asyncio.wait_for(other.data(HISTORY, {"topic": plain, "limit": 5}), 60)
            url = gateway.url.rsplit("/", 1)[0] + "/healthz"
            async with http.get(url) as health:
                assert health.status == 200
            assert not any(p.done() for p in pages)
            monkeypatch.setattr(Slices, "pause", pause)
            resume.set()
            found = await asyncio.gather(*pages)
        assert [m["value"] for m in page["messages"]["messages"]] == [{"n": i} for i in range(5)]
        for result in found:
            messages = result["messages"]
            assert sorted(m["value"]["at"] for m in messages["messages"]) == [
                10,
                scan // 2,
                scan - 10,
            ]
            assert messages["hasMore"] is False
        assert held(gateway) <= BOUND_S, held(gateway)
        assert all(status == 200 for status, _ in answers)
        assert max(seconds for _, seconds in answers) < 2.0


def wide_schema(fields: int) -> dict[str, Any]:
    properties = {f"f{i}": {"type": "integer" if i % 2 else "string"} for i in range(fields)}
    return {
        "title": "Wide",
        "type": "object",
        "required": list(properties),
        "properties": properties,
    }


def wide_value(n: int, fields: int) -> dict[str, Any]:
    return {f"f{i}": (n * i if i % 2 else f"v{n}") for i in range(fields)}


async def test_a_large_typed_page_is_executed_in_slices(
    bootstrap: str,
    http: aiohttp.ClientSession,
    admin: AIOKafkaAdminClient,
    raw_producer: AIOKafkaProducer,
    tmp_path: Path,
) -> None:
    """200 messages of 300 fields each, all selected: ~60,000 fields to decode, check, execute
    and cost, within the caps (scalars cost nothing)."""
    fields, count = 300, 200
    schema = tmp_path / "wide.schema.json"
    schema.write_text(json.dumps(wide_schema(fields)))
    topic = f"wide-{uuid.uuid4().hex[:12]}"
    await create_served_topic(admin, topic)
    await write(raw_producer, topic, [wide_value(n, fields) for n in range(count)])
    settings = settings_from_mapping(
        {
            "kafka": {"bootstrap_servers": bootstrap, "metadata_max_age_s": 0},
            "limits": UNTHROTTLED,
            "topics": [
                {"name": topic, "type": "Wide", "field": "wides", "value_schema": str(schema)},
                {"name": "test-*"},
            ],
        }
    )
    selection = " ".join(f"f{i}" for i in range(fields))
    query = (
        f"{{ wides(first: {count}) {{ edges {{ node {{ offset value {{ {selection} }} }} }} }} }}"
    )
    async with run_gateway(settings) as gateway:
        client = GraphQLClient(http, gateway.url)
        await client.data("{ wides(first: 1) { edges { node { offset } } } }")  # warm
        gateway.app[LOOP_MONITOR].reset()
        async with healthz_answers(http, gateway) as answers:
            pages = await asyncio.gather(*(client.data(query) for _ in range(2)))
        for page in pages:
            edges = page["wides"]["edges"]
            assert [e["node"]["offset"] for e in edges] == list(range(count))
            assert [e["node"]["value"] for e in edges] == [
                wide_value(n, fields) for n in range(count)
            ]
        assert held(gateway) <= BOUND_S, held(gateway)
        assert answers and all(status == 200 for status, _ in answers)


async def test_heavy_filters_of_live_subscribers_do_not_hold_the_feed(
    bootstrap: str,
    http: aiohttp.ClientSession,
    raw_producer: AIOKafkaProducer,
    new_topic: TopicFactory,
) -> None:
    """Five subscribers with the heaviest filter and one without, on one feed: a burst of 500
    records costs 2,500 heavy predicate calls, offered in slices; the plain subscriber receives
    every record in order, the heavy ones exactly their match."""
    topic = await new_topic()
    async with run_gateway(gateway_settings(bootstrap, **UNTHROTTLED)) as gateway:
        client = GraphQLClient(http, gateway.url)
        live = gateway.kafka.live
        async with contextlib.AsyncExitStack() as streams:
            plain = await streams.enter_async_context(client.subscribe(SUBSCRIBE, {"topic": topic}))
            heavy = [
                await streams.enter_async_context(
                    client.subscribe(SUBSCRIBE, {"topic": topic, "filter": HEAVY})
                )
                for _ in range(5)
            ]
            await asyncio.wait_for(live.wait_until(lambda: live.subscriber_count(topic) == 6), 30)
            gateway.app[LOOP_MONITOR].reset()
            values: list[Any] = [{**BUSY, "n": n} for n in range(500)]
            values[250] = {**MATCH, "n": 250}
            await write(raw_producer, topic, values)
            received = await plain.take(500)
            assert [m["value"]["n"] for m in received] == list(range(500))
            assert [m["offset"] for m in received] == list(range(500))
            for stream in heavy:
                assert [m["value"]["n"] for m in await stream.take(1)] == [250]
            assert held(gateway) <= BOUND_S, held(gateway)


async def test_a_replay_with_the_heaviest_filter_catches_up_in_slices(
    bootstrap: str,
    http: aiohttp.ClientSession,
    raw_producer: AIOKafkaProducer,
    new_topic: TopicFactory,
) -> None:
    """A replaying subscription's own reader filters 2,000 records before it joins the live
    feed; it gets exactly its matches, then the live ones, and another caller is served."""
    topic = await new_topic()
    values: list[Any] = [{**BUSY, "n": n} for n in range(2000)]
    for n in (5, 1500):
        values[n] = {**MATCH, "n": n}
    await write(raw_producer, topic, values)
    async with run_gateway(gateway_settings(bootstrap, **UNTHROTTLED)) as gateway:
        client, other = GraphQLClient(http, gateway.url), GraphQLClient(http, gateway.url)
        gateway.app[LOOP_MONITOR].reset()
        variables = {"topic": topic, "fromOffset": 0, "filter": HEAVY}
        async with client.subscribe(SUBSCRIBE, variables) as replay:
            page = await asyncio.wait_for(other.data(HISTORY, {"topic": topic, "limit": 2}), 60)
            assert [m["offset"] for m in page["messages"]["messages"]] == [0, 1]
            assert [m["value"]["n"] for m in await replay.take(2)] == [5, 1500]
            live = gateway.kafka.live
            await asyncio.wait_for(live.wait_until(lambda: live.subscriber_count(topic) == 1), 60)
            await write(raw_producer, topic, [{**MATCH, "n": 2000}])
            assert [m["value"]["n"] for m in await replay.take(1)] == [2000]
        assert held(gateway) <= BOUND_S, held(gateway)
