"""Query cost and budgets on the real gateway and broker: an over-cost operation never reaches
Kafka, every response reports its cost, a spent budget is answered 429 with Retry-After, and
callers (JWT subjects, anonymous IPs) have budgets of their own.

The gateways here run on a clock the test moves (budgets refill only when it says), so every
figure is exact.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiokafka import AIOKafkaProducer

from kafka_graphql.kafka import KafkaGateway
from kafka_graphql.settings import settings_from_mapping
from tests.clients import GraphQLClient, without_request_ids
from tests.clock import FakeClock
from tests.integration.auth import end_offsets, key_files_fixture  # noqa: F401 (a fixture)
from tests.integration.conftest import TopicFactory, gateway_settings, run_gateway
from tests.integration.helpers import PRODUCE, PRODUCE_BATCH
from tests.tokens import AUDIENCE, ISSUER, claims, rsa_pair

PAGE = """query($topic: String!, $limit: Int) {
  messages(topic: $topic, limit: $limit) { messages { offset headers { key } } nextCursor } }"""
RATE_LIMIT = "{ rateLimit { limit cost remaining resetAt } }"


def page_cost(limit: int) -> int:
    # The page, and each message with its headers (as many as a record shows, 64: a point per 32).
    return 1 + limit * (1 + 2)


def kafka_calls(kafka: KafkaGateway, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every call the gateway makes to Kafka from now on (a spy around the real methods)."""
    calls: list[str] = []
    names = ("topic_names", "partitions", "offsets", "offsets_for_time", "read_page", "produce")
    for name in (*names, "stream"):
        real = getattr(kafka, name)

        def spy(*args: Any, _real: Callable[..., Any] = real, _name: str = name, **kw: Any) -> Any:
            calls.append(_name)
            return _real(*args, **kw)

        monkeypatch.setattr(kafka, name, spy)
    return calls


async def test_an_operation_over_max_query_cost_is_refused_and_kafka_is_not_called(
    bootstrap: str,
    http: aiohttp.ClientSession,
    new_topic: TopicFactory,
    raw_producer: AIOKafkaProducer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    topic = await new_topic()
    await raw_producer.send_and_wait(topic, b'{"n": 1}')
    settings = gateway_settings(bootstrap, max_query_cost=100, cost_budget=1000)
    async with run_gateway(settings, FakeClock()) as gateway:
        client = GraphQLClient(http, gateway.url)
        calls = kafka_calls(gateway.kafka, monkeypatch)
        # Within the limit, the page is read from Kafka (33 messages: 100 points).
        assert page_cost(33) == 100
        under = await client.post(PAGE, {"topic": topic, "limit": 33})
        assert len(under["data"]["messages"]["messages"]) == 1
        assert "read_page" in calls
        calls.clear()
        # One message more per page is over it: refused before any resolver ran.
        over = await client.raw(PAGE, {"topic": topic, "limit": 34})
        assert over.status == 200
        body = without_request_ids(over.json(), over.headers["X-Request-ID"])
        assert body["data"] is None
        (error,) = body["errors"]
        assert error["extensions"] == {
            "code": "COST_LIMIT_EXCEEDED",
            "cost": {"requestedQueryCost": page_cost(34), "maximumQueryCost": 100},
        }
        assert body["extensions"]["cost"]["requestedQueryCost"] == page_cost(34)
        assert body["extensions"]["cost"]["actualQueryCost"] == 0
        # Aliases and fragments do not get around it.
        split = """query($topic: String!) { a: messages(topic: $topic, limit: 25) { ...M }
            b: messages(topic: $topic, limit: 25) { ...M } }
            fragment M on MessagePage { messages { offset headers { key } } }"""
        assert await client.error_codes(split, {"topic": topic}) == ["COST_LIMIT_EXCEEDED"]
        # Not even a topic that does not exist is looked up.
        missing = {"topic": "test-no-such-topic", "limit": 200}
        assert await client.error_codes(PAGE, missing) == ["COST_LIMIT_EXCEEDED"]
        assert calls == []
        # The refusals charged nothing: the first page's actual cost (the page and its one
        # message, whose headers are empty) is all that was spent.
        status = (await client.data(RATE_LIMIT))["rateLimit"]
        assert status["remaining"] == 1000 - 2


async def test_extensions_cost_and_rate_limit_follow_a_sequence_of_calls(
    bootstrap: str, http: aiohttp.ClientSession, new_topic: TopicFactory
) -> None:
    topic = await new_topic()
    settings = gateway_settings(bootstrap, max_query_cost=500, cost_budget=1000)
    async with run_gateway(settings, FakeClock()) as gateway:
        client = GraphQLClient(http, gateway.url)
        costs: list[dict[str, Any]] = []

        async def call(query: str, variables: dict[str, Any] | None = None) -> Any:
            body = await client.post(query, variables)
            assert "errors" not in body, body
            costs.append(body["extensions"]["cost"])
            return body["data"]

        messages = [{"value": i} for i in range(3)]
        await call(PRODUCE_BATCH, {"topic": topic, "messages": messages})  # 10 + 3
        await call(PAGE, {"topic": topic, "limit": 20})  # 61 asked, 1 + 3 x 1 returned
        before = (await call(RATE_LIMIT))["rateLimit"]
        both = """query($topic: String!) { rateLimit { cost remaining }
            messages(topic: $topic, limit: 10) { messages { offset } } }"""
        during = (await call(both, {"topic": topic}))["rateLimit"]

        assert [(c["requestedQueryCost"], c["actualQueryCost"]) for c in costs] == [
            (13, 13),
            (page_cost(20), 1 + 3),
            (0, 0),
            (11, 1 + 3),
        ]
        available = [c["throttleStatus"]["currentlyAvailable"] for c in costs]
        assert available == [987, 983, 983, 979]
        assert all(
            c["throttleStatus"]["maximumAvailable"] == 1000
            and c["throttleStatus"]["restoreRate"] == 100.0
            for c in costs
        )
        assert (before["limit"], before["cost"], before["remaining"]) == (1000, 0, 983)
        # While an operation runs, all of its requested cost is taken; what it did not use comes
        # back when it ends.
        assert during == {"cost": 11, "remaining": 983 - 11}
        # Full again once the 17 points spent have refilled at 100 per second.
        reset_at = datetime.fromisoformat(before["resetAt"]).timestamp()
        assert reset_at == pytest.approx(time.time() + 0.17, abs=5)


async def test_a_spent_budget_is_answered_429_with_retry_after_until_it_refills(
    bootstrap: str, http: aiohttp.ClientSession, new_topic: TopicFactory
) -> None:
    topic = await new_topic()
    clock = FakeClock()
    settings = gateway_settings(bootstrap, max_query_cost=30, cost_budget=30, cost_refill_per_s=4)
    async with run_gateway(settings, clock) as gateway:
        client = GraphQLClient(http, gateway.url)
        for value in range(3):
            await client.data(PRODUCE, {"topic": topic, "value": value})
        refused = await client.raw(PRODUCE, {"topic": topic, "value": 3})
        assert refused.status == 429
        assert refused.headers["Retry-After"] == "3"  # 10 points at 4 per second: 2.5 s
        body = without_request_ids(refused.json(), refused.headers["X-Request-ID"])
        (error,) = body["errors"]
        assert error["extensions"] == {"code": "RATE_LIMITED", "retryAfter": 3}
        assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 0
        assert await end_offsets(bootstrap, topic) == {0: 3}  # nothing was written
        # Asking how much is left is free, and answered while the budget is empty.
        assert (await client.data(RATE_LIMIT))["rateLimit"]["remaining"] == 0
        clock.advance(2.5)
        await client.data(PRODUCE, {"topic": topic, "value": 3})
        assert await end_offsets(bootstrap, topic) == {0: 4}


@pytest.fixture
async def local_http() -> AsyncIterator[Callable[[str], Awaitable[aiohttp.ClientSession]]]:
    """HTTP sessions that connect from a given loopback address (another caller IP)."""
    sessions: list[aiohttp.ClientSession] = []

    async def from_address(address: str) -> aiohttp.ClientSession:
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(address, 0)))
        sessions.append(session)
        return session

    yield from_address
    for session in sessions:
        await session.close()


async def test_anonymous_callers_are_told_apart_by_ip(
    bootstrap: str,
    new_topic: TopicFactory,
    local_http: Callable[[str], Awaitable[aiohttp.ClientSession]],
) -> None:
    topic = await new_topic()
    settings = gateway_settings(bootstrap, max_query_cost=20, cost_budget=20)
    async with run_gateway(settings, FakeClock()) as gateway:
        first = GraphQLClient(await local_http("127.0.0.1"), gateway.url)
        second = GraphQLClient(await local_http("127.0.0.2"), gateway.url)
        for value in range(2):
            await first.data(PRODUCE, {"topic": topic, "value": value})
        assert await first.error_codes(PRODUCE, {"topic": topic, "value": 2}) == ["RATE_LIMITED"]
        await second.data(PRODUCE, {"topic": topic, "value": 2})
        assert (await second.data(RATE_LIMIT))["rateLimit"]["remaining"] == 10


async def test_each_token_subject_has_a_budget_of_its_own(
    bootstrap: str,
    http: aiohttp.ClientSession,
    new_topic: TopicFactory,
    key_files: tuple[Path, Path],
) -> None:
    topic = await new_topic()
    pem, _ = key_files
    settings = settings_from_mapping(
        {
            "kafka": {"bootstrap_servers": bootstrap, "metadata_max_age_s": 0},
            "server": {"shutdown_grace_s": 2},
            "auth": {
                "algorithms": ["RS256"],
                "issuer": ISSUER,
                "audience": AUDIENCE,
                "public_key_file": str(pem),
            },
            "limits": {"max_query_cost": 20, "cost_budget": 20},
            "topics": [{"name": "test-*"}],
        },
        environ={},
    )
    async with run_gateway(settings, FakeClock()) as gateway:
        anonymous = GraphQLClient(http, gateway.url)
        alice = anonymous.with_token(rsa_pair().sign(claims(sub="alice")))
        bob = anonymous.with_token(rsa_pair().sign(claims(sub="bob")))
        for value in range(2):
            await alice.data(PRODUCE, {"topic": topic, "value": value})
        assert await alice.error_codes(PRODUCE, {"topic": topic, "value": 2}) == ["RATE_LIMITED"]
        # Same address, another subject: another budget.
        await bob.data(PRODUCE, {"topic": topic, "value": 2})
        assert (await bob.data(RATE_LIMIT))["rateLimit"]["remaining"] == 10
        assert (await alice.data(RATE_LIMIT))["rateLimit"]["remaining"] == 0


async def test_over_websocket_an_over_cost_subscription_is_refused_and_queries_report_cost(
    bootstrap: str,
    http: aiohttp.ClientSession,
    new_topic: TopicFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    topic = await new_topic()
    settings = gateway_settings(bootstrap, max_query_cost=11, cost_budget=100)
    async with run_gateway(settings, FakeClock()) as gateway:
        client = GraphQLClient(http, gateway.url)
        calls = kafka_calls(gateway.kafka, monkeypatch)
        # Opening 10, then each message 1 + its headers 2 (64 at a point per 32): 13.
        over = "subscription($t: String!) { messages(topic: $t) { offset headers { key } } }"
        async with client.subscribe(over, {"t": topic}) as stream:
            event = await stream.next_event()
            # Refused before it ran, as an execution result: errors and no data, then complete.
            assert event["type"] == "next"
            assert event["payload"]["data"] is None
            assert (await stream.next_event())["type"] == "complete"
        (error,) = without_request_ids(event["payload"]["errors"])
        assert error["extensions"] == {
            "code": "COST_LIMIT_EXCEEDED",
            "cost": {"requestedQueryCost": 13, "maximumQueryCost": 11},
        }
        assert calls == []
        within = "subscription($t: String!) { messages(topic: $t) { offset } }"
        async with client.subscribe(within, {"t": topic}) as stream:
            await gateway.kafka.live.wait_until(
                lambda: gateway.kafka.live.subscriber_count(topic) == 1
            )
            written = await client.data(PRODUCE, {"topic": topic, "value": 1})
            assert (await stream.next_message())["offset"] == written["produce"]["offset"]
        # A query over the socket carries its cost like one over HTTP.
        async with client.subscribe(RATE_LIMIT) as answer:
            event = await answer.next_event()
        assert event["type"] == "next"
        # The produce's 10 and the second stream's opening 10 (the refused one cost nothing).
        assert event["payload"]["data"]["rateLimit"]["remaining"] == 80
        assert event["payload"]["extensions"]["cost"] == {
            "requestedQueryCost": 0,
            "actualQueryCost": 0,
            "throttleStatus": {
                "maximumAvailable": 100,
                "currentlyAvailable": 80,
                "restoreRate": 100.0,
            },
        }
