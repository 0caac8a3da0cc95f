"""The delivery budget on a real stream, on both subprotocols: a fast producer writes many
records with few keys to a caller that may receive 5 messages per second (the clock is the
test's). `conflate` delivers the newest per key and counts the rest in `skipped`; `close` ends the
stream with RATE_LIMITED and a cursor that resumes with no gap."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from kafka_graphql.http.state import LIMITS
from kafka_graphql.settings import settings_from_mapping
from tests.clients import LEGACY_WS, TRANSPORT_WS, GraphQLClient
from tests.clock import FakeClock
from tests.integration.conftest import RunningGateway, TopicFactory, gateway_settings, run_gateway
from tests.integration.helpers import poll_until, produce_batch
from tests.integration.test_typed_json import order
from tests.integration.typed import SCHEMAS, create_topic

CALLER = "ip:127.0.0.1"
PROTOCOLS = pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
RATE = 5
KEYS = 4
WRITTEN = 40

STREAM = """
subscription($topic: String!, $after: Cursor) {
  messages(topic: $topic, after: $after) { offset key value cursor skipped }
}"""


async def live(running: RunningGateway, topic: str, count: int) -> None:
    stream = running.kafka.live
    await stream.wait_until(lambda: stream.subscriber_count(topic) == count)


def records() -> list[dict[str, Any]]:
    return [{"key": f"k{i % KEYS}", "value": i} for i in range(WRITTEN)]


@PROTOCOLS
async def test_conflate_delivers_the_newest_per_key_and_counts_the_rest(
    bootstrap: str, http: aiohttp.ClientSession, new_topic: TopicFactory, protocol: str
) -> None:
    topic, clock = await new_topic(), FakeClock()
    settings = gateway_settings(bootstrap, delivery_messages_per_s=RATE)
    async with run_gateway(settings, limits_clock=clock) as running:
        client = GraphQLClient(http, running.url)
        async with client.subscribe(STREAM, {"topic": topic}, protocol) as stream:
            await live(running, topic, 1)
            await produce_batch(client, topic, records())
            # One second's worth goes out at once; the rest waits for the budget.
            delivered = await stream.take(RATE)
            assert [m["value"] for m in delivered] == list(range(RATE))
            state = running.app[LIMITS].state(CALLER)

            async def all_held() -> bool:
                return state.held == WRITTEN - RATE

            await poll_until(all_held, 10, 0.01)
            clock.advance(1)
            # The newest message of each key, each counting the ones it replaced.
            newest = await stream.take(KEYS)
            assert sorted((m["key"], m["value"]) for m in newest) == [
                (f"k{k}", WRITTEN - KEYS + k) for k in range(KEYS)
            ]
            delivered += newest
            assert len(delivered) + sum(m["skipped"] for m in delivered) == WRITTEN
            assert all(m["skipped"] == 0 for m in delivered[:RATE])
            assert state.held == 0


@PROTOCOLS
async def test_close_ends_the_stream_with_a_cursor_that_resumes_with_no_gap(
    bootstrap: str, http: aiohttp.ClientSession, new_topic: TopicFactory, protocol: str
) -> None:
    topic, clock = await new_topic(), FakeClock()
    settings = gateway_settings(
        bootstrap, delivery_messages_per_s=RATE, subscription_overflow="close"
    )
    async with run_gateway(settings, limits_clock=clock) as running:
        client = GraphQLClient(http, running.url)
        received: list[dict[str, Any]] = []
        after = None
        async with client.subscribe(STREAM, {"topic": topic}, protocol) as stream:
            await live(running, topic, 1)
            await produce_batch(client, topic, records()[:12])
            received += await stream.take(RATE)
            after = await refused_with_cursor(stream)
            assert after == received[-1]["cursor"]
        while len(received) < 12:
            clock.advance(1)
            async with client.subscribe(STREAM, {"topic": topic, "after": after}, protocol) as s:
                batch = await s.take(min(RATE, 12 - len(received)))
                received += batch
                if len(received) < 12:
                    after = await refused_with_cursor(s)
                    assert after == batch[-1]["cursor"]
        assert [m["offset"] for m in received] == list(range(12))
        assert [m["skipped"] for m in received] == [0] * 12


async def refused_with_cursor(stream: Any) -> str:
    """The stream's RATE_LIMITED error, then its end; the cursor it carries."""
    event = await stream.next_event()
    assert event["type"] in ("next", "data", "error"), event
    payload = event["payload"]
    errors = payload if isinstance(payload, list) else payload.get("errors", [payload])
    assert [e["extensions"]["code"] for e in errors] == ["RATE_LIMITED"], event
    assert "limits.delivery_messages_per_s" in errors[0]["message"]
    cursor: str = errors[0]["extensions"]["cursor"]
    if event["type"] != "error":
        assert (await stream.next_event())["type"] == "complete"
    return cursor


SUBSCRIBE_ORDERS = """
subscription { orders { offset key value { id quantity } cursor skipped } }"""

PRODUCE_ORDERS = """
mutation($messages: [OrderMessageInput!]!) { produceOrders(messages: $messages) { offset } }"""


@PROTOCOLS
async def test_a_typed_stream_conflates_with_skipped_too(
    bootstrap: str, http: aiohttp.ClientSession, admin: AIOKafkaAdminClient, protocol: str
) -> None:
    topic, clock, written, keys = await create_topic(admin, 1), FakeClock(), 20, 2
    settings = settings_from_mapping(
        {
            "kafka": {"bootstrap_servers": bootstrap, "request_timeout_s": 10},
            "server": {"shutdown_grace_s": 2},
            "limits": {"delivery_messages_per_s": RATE},
            "topics": [{"name": topic, "type": "Order", "value_schema": "order.schema.json"}],
        },
        base_dir=SCHEMAS,
    )
    async with run_gateway(settings, limits_clock=clock) as running:
        client = GraphQLClient(http, running.url)
        async with client.subscribe(SUBSCRIBE_ORDERS, {}, protocol) as stream:
            await live(running, topic, 1)
            messages = [{"key": f"k{i % keys}", "value": order(i)} for i in range(written)]
            await client.data(PRODUCE_ORDERS, {"messages": messages})
            delivered = await stream.take(RATE, "orders")
            state = running.app[LIMITS].state(CALLER)

            async def all_held() -> bool:
                return state.held == written - RATE

            await poll_until(all_held, 10, 0.01)
            clock.advance(1)
            newest = await stream.take(keys, "orders")
            assert sorted((m["key"], m["value"]["quantity"]) for m in newest) == [
                (f"k{k}", written - keys + k) for k in range(keys)
            ]
            delivered += newest
            assert len(delivered) + sum(m["skipped"] for m in delivered) == written
