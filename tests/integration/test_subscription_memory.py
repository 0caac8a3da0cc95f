"""A completed subscription is freed when it ends, by reference counting alone.

Left to the cyclic garbage collector, every completed subscription (its streams, executor and
buffers) stays in memory until a full collection, which on a gateway holding thousands of idle
subscriptions comes rarely: subscribe/complete churn then grows the process (docs/performance.md).
The tests run with the collector off, so whatever a reference cycle holds is still there."""

from __future__ import annotations

import asyncio
import gc
import types
from collections.abc import Iterator

import aiohttp
import pytest

from kafka_graphql.core.limits.delivery import deliver
from kafka_graphql.graphql.resolvers.subscription import delivered
from kafka_graphql.kafka.stream import stream_records
from tests.clients import LEGACY_WS, TRANSPORT_WS
from tests.integration.conftest import RunningGateway, TopicFactory

QUERY = "subscription($t: String!) { messages(topic: $t) { offset value } }"
# The tasks that run one operation, per subprotocol (Strawberry's handlers).
OPERATION_TASKS = {"run_operation", "handle_async_results"}
STREAMS = {delivered.__code__, deliver.__code__, stream_records.__code__}


@pytest.fixture
def no_cyclic_gc() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def operation_tasks() -> set[asyncio.Task[object]]:
    return {
        task
        for task in asyncio.all_tasks()
        if getattr(task.get_coro(), "__name__", None) in OPERATION_TASKS
    }


def streams_in_memory() -> list[types.AsyncGeneratorType[object, object]]:
    return [
        o
        for o in gc.get_objects()
        if isinstance(o, types.AsyncGeneratorType) and o.ag_code in STREAMS
    ]


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_a_completed_subscription_is_freed_without_the_cyclic_gc(
    gateway: RunningGateway,
    http: aiohttp.ClientSession,
    new_topic: TopicFactory,
    no_cyclic_gc: None,
    protocol: str,
) -> None:
    topic = await new_topic()
    hub = gateway.kafka.live
    start, stop = ("subscribe", "complete") if protocol == TRANSPORT_WS else ("start", "stop")
    async with http.ws_connect(gateway.url, protocols=[protocol]) as ws:
        await ws.send_json({"type": "connection_init"})
        assert (await ws.receive_json(timeout=30))["type"] == "connection_ack"
        for i in range(5):
            before = operation_tasks()
            payload = {"query": QUERY, "variables": {"t": topic}}
            await ws.send_json({"id": f"s{i}", "type": start, "payload": payload})
            await asyncio.wait_for(hub.wait_until(lambda: hub.subscriber_count(topic) == 1), 30)
            assert streams_in_memory(), "the check must see a live subscription's streams"
            running = operation_tasks() - before
            assert len(running) == 1
            await ws.send_json({"id": f"s{i}", "type": stop})
            await asyncio.wait_for(asyncio.wait(running), 30)
            running.clear()  # a task holds what ended it, and so its frames: the test lets go
            assert streams_in_memory() == []
