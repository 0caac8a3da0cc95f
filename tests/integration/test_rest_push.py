"""Push over plain HTTP (`GET /topics/{topic}/records`, Server-Sent Events) on the real broker,
with a Python client: each record in the consumer API's shape with the core's cursor as its id;
a dropped connection resumed with `Last-Event-ID` on another replica with no gap and no
duplicate; the filters as query parameters; the delivery budget conflating (the newest record
per key) or ending a stream with an `error` event and the cursor to resume from; the
subscription cap; heartbeats; the refusals answered before the stream starts (40101, 40401, a
bad cursor, 406, 400); telemetry's subscription; a client gone in the middle of a burst."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest_asyncio
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from kafka_graphql.core.telemetry import Subscription, Telemetry
from kafka_graphql.http.state import LIMITS
from kafka_graphql.settings import RestSettings, Settings
from tests.clients import RestClient
from tests.clock import FakeClock
from tests.integration.auth import (  # noqa: F401 (a fixture)
    auth_settings,
    create_topic,
    key_files_fixture,
)
from tests.integration.conftest import RunningGateway, TopicFactory, run_gateway
from tests.integration.helpers import poll_until
from tests.sse import Event, event_stream
from tests.tokens import RUN_TTL_S, claims, rsa_pair

RSA = rsa_pair()
# Made at import, used until the run ends: valid for longer than a whole `make test`.
TOKEN = RSA.sign(claims(ttl_s=RUN_TTL_S))
AUTH = {"Authorization": f"Bearer {TOKEN}"}
INVALID_CURSOR = "invalid cursor"


def settings(key_file: Path, bootstrap: str, **limits: Any) -> Settings:
    base = auth_settings(bootstrap, key_file)
    return base.model_copy(
        update={
            "rest": RestSettings(enabled=True, push_heartbeat_s=0.2),
            "limits": base.limits.model_copy(update=limits),
        }
    )


class Recorded(Telemetry):
    def __init__(self) -> None:
        self.started: list[Subscription] = []
        self.ended: list[Subscription] = []

    def subscription_started(self, subscription: Subscription) -> None:
        self.started.append(subscription)

    def subscription_ended(self, subscription: Subscription) -> None:
        self.ended.append(subscription)


@pytest_asyncio.fixture(scope="module")
async def replicas(
    bootstrap: str, key_files: tuple[Path, Path]
) -> AsyncIterator[tuple[RunningGateway, RunningGateway]]:
    """Two gateways of one deployment (the same cursor keys and settings)."""
    async with (
        run_gateway(settings(key_files[0], bootstrap)) as first,
        run_gateway(settings(key_files[0], bootstrap)) as second,
    ):
        yield first, second


def base(gateway: RunningGateway) -> str:
    return gateway.url.removesuffix("/graphql")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def shape(topic: str, offset: int, key: str | None, value: Any, partition: int = 0) -> Any:
    return {
        "topic": topic,
        "key": key,
        "value": value,
        "partition": partition,
        "offset": offset,
        "headers": [],
    }


def positions(events: list[Event]) -> list[tuple[int, int]]:
    return [(e.json()["partition"], e.json()["offset"]) for e in events]


async def produce(
    gateway: RunningGateway, http: aiohttp.ClientSession, topic: str, records: Any
) -> Any:
    return await RestClient.of(http, gateway.url, TOKEN).produce(topic, records)


async def test_a_dropped_stream_resumes_on_another_replica_with_no_gap_and_no_duplicate(
    replicas: tuple[RunningGateway, RunningGateway],
    http: aiohttp.ClientSession,
    admin: AIOKafkaAdminClient,
    new_topic: TopicFactory,
) -> None:
    first, second = replicas
    topic = await new_topic(partitions=2)
    await produce(first, http, topic, [{"value": i, "partition": i % 2} for i in range(6)])
    url = f"/topics/{topic}/records?from=beginning"
    async with event_stream(http, base(first) + url, AUTH) as stream:
        before = await stream.take(4)
    await produce(first, http, topic, [{"value": i, "partition": i % 2} for i in range(6, 10)])
    resumed = {**AUTH, "Last-Event-ID": before[-1].id or ""}
    async with event_stream(http, base(second) + url, resumed) as stream:
        after = await stream.take(6)
        await produce(first, http, topic, [{"value": "last", "partition": 0}])
        (sentinel,) = await stream.take(1)
    seen = positions(before) + positions(after)
    assert sorted(seen) == [(p, o) for p in (0, 1) for o in range(5)]
    assert sorted(e.json()["value"] for e in before + after) == list(range(10))
    assert sentinel.json() == shape(topic, 5, None, "last")


async def test_each_event_is_the_consumer_apis_record_with_its_cursor_as_id(
    replicas: tuple[RunningGateway, RunningGateway],
    http: aiohttp.ClientSession,
    new_topic: TopicFactory,
) -> None:
    first, _ = replicas
    topic = await new_topic()
    headers = [{"name": "trace", "value": b64(b"\xfe\x01")}, {"name": "flag"}]
    await produce(first, http, topic, [{"key": "k-1", "value": {"a": [1]}, "headers": headers}])
    binary = RestClient.of(http, first.url, TOKEN)
    await binary.produce(
        topic,
        [{"key": b64(b"\xff"), "value": b64(b"\x00\xff")}],
        "application/vnd.kafka.binary.v2+json",
    )
    async with event_stream(
        http, f"{base(first)}/topics/{topic}/records?from=beginning", AUTH
    ) as s:
        json_record, binary_record = await s.take(2)
    assert json_record.json() == {
        **shape(topic, 0, "k-1", {"a": [1]}),
        "headers": [{"name": "trace", "value": "/gE="}, {"name": "flag", "value": None}],
    }
    assert binary_record.json() == shape(
        topic, 1, "/w==", {"$binary": {"encoding": "base64", "data": "AP8="}}
    )
    assert (json_record.event, binary_record.event) == ("message", "message")
    # The id is the core's cursor: `from` (and GraphQL's `after`) continue right after it.
    url = f"{base(first)}/topics/{topic}/records?from={json_record.id}"
    async with event_stream(http, url, AUTH) as stream:
        assert await stream.take(1) == [binary_record]


FILTERED = [
    {"key": "order-1", "value": 0, "headers": [{"name": "region", "value": b64(b"eu")}]},
    {"key": "order-2", "value": 1, "headers": [{"name": "region", "value": b64(b"us")}]},
    {"key": "refund-1", "value": 2, "headers": [{"name": "region", "value": b64(b"eu")}]},
    {"key": "order-1", "value": 3},
]


async def test_the_graphql_apis_filters_as_query_parameters(
    replicas: tuple[RunningGateway, RunningGateway],
    http: aiohttp.ClientSession,
    new_topic: TopicFactory,
) -> None:
    first, _ = replicas
    topic = await new_topic()
    await produce(first, http, topic, FILTERED)
    cases = {
        "key=order-1": [0, 3],
        "keyPrefix=order-": [0, 1, 3],
        "header.region=eu": [0, 2],
        "keyPrefix=order-&header.region=eu": [0],
    }
    for query, values in cases.items():
        url = f"{base(first)}/topics/{topic}/records?from=beginning&{query}"
        async with event_stream(http, url, AUTH) as stream:
            events = await stream.take(len(values))
            await produce(first, http, topic, [dict(FILTERED[values[0]], value="next")])
            (following,) = await stream.take(1)
        assert [e.json()["value"] for e in events] == values, query
        assert following.json()["value"] == "next", query


async def test_a_spent_delivery_budget_ends_the_stream_with_a_cursor_that_resumes(
    bootstrap: str,
    key_files: tuple[Path, Path],
    http: aiohttp.ClientSession,
    new_topic: TopicFactory,
) -> None:
    topic, clock, rate = await new_topic(), FakeClock(), 5
    limited = settings(
        key_files[0], bootstrap, delivery_messages_per_s=rate, subscription_overflow="close"
    )
    async with run_gateway(limited, limits_clock=clock) as gateway:
        await produce(gateway, http, topic, [{"value": i} for i in range(12)])
        url = f"{base(gateway)}/topics/{topic}/records?from=beginning"
        received: list[Event] = []
        last_event_id: dict[str, str] = {}
        while len(received) < 12:
            async with event_stream(http, url, {**AUTH, **last_event_id}) as stream:
                batch = await stream.take(min(rate, 12 - len(received)))
                received += batch
                if len(received) < 12:
                    refused = await stream.next()
                    assert refused is not None and refused.event == "error"
                    body = refused.json()
                    assert (body["error_code"], body["cursor"]) == (42901, batch[-1].id)
                    assert "limits.delivery_messages_per_s" in body["message"]
                    assert (refused.id, refused.retry) == (batch[-1].id, 1000)
                    assert await stream.next() is None
                    last_event_id = {"Last-Event-ID": refused.id or ""}
            clock.advance(1)
    assert [e.json()["offset"] for e in received] == list(range(12))


async def test_the_callers_subscription_cap_counts_push_streams(
    bootstrap: str,
    key_files: tuple[Path, Path],
    http: aiohttp.ClientSession,
    new_topic: TopicFactory,
) -> None:
    topic = await new_topic()
    capped = settings(key_files[0], bootstrap, max_subscriptions_per_principal=1)
    async with run_gateway(capped) as gateway:
        url = f"{base(gateway)}/topics/{topic}/records"
        rest = RestClient.of(http, gateway.url, TOKEN)
        state = gateway.app[LIMITS].state("alice")
        async with event_stream(http, url, AUTH):
            assert state.subscriptions == 1
            refused = await rest.get(f"/topics/{topic}/records", {"Accept": "text/event-stream"})
            assert (refused.status, refused.json()["error_code"]) == (429, 42901)

        async def released() -> bool:
            return state.subscriptions == 0

        await poll_until(released, 5, 0.05)
        async with event_stream(http, url, AUTH) as stream:
            await stream.next_comment()


async def test_an_idle_stream_sends_a_comment_line_every_heartbeat(
    replicas: tuple[RunningGateway, RunningGateway],
    http: aiohttp.ClientSession,
    new_topic: TopicFactory,
) -> None:
    first, _ = replicas
    topic = await new_topic()
    async with event_stream(http, f"{base(first)}/topics/{topic}/records", AUTH) as stream:
        await stream.next_comment()
        await stream.next_comment()
        assert stream.comments == 2


async def test_refusals_are_answered_before_the_stream_starts(
    replicas: tuple[RunningGateway, RunningGateway],
    http: aiohttp.ClientSession,
    new_topic: TopicFactory,
) -> None:
    first, _ = replicas
    topic = await new_topic()
    reader = RestClient.of(http, first.url, RSA.sign(claims(scope="kafka:read:other-*")))
    anonymous = RestClient.of(http, first.url)
    owner = RestClient.of(http, first.url, TOKEN)
    sse = {"Accept": "text/event-stream"}
    path = f"/topics/{topic}/records"
    cases = {
        "no token": (anonymous, path, sse, 401, 40101),
        "a topic that does not exist": (owner, "/topics/test-none-here/records", sse, 404, 40401),
        "a topic the caller may not read": (reader, path, sse, 404, 40401),
        "a bad cursor in from": (owner, f"{path}?from=nope", sse, 422, 422),
        "a bad Last-Event-ID": (owner, path, {**sse, "Last-Event-ID": "nope"}, 422, 422),
        "no event stream accepted": (owner, path, {"Accept": "application/json"}, 406, 406),
        "an unknown parameter": (owner, f"{path}?value=1", sse, 400, 400),
        "a parameter twice": (owner, f"{path}?key=a&key=b", sse, 400, 400),
    }
    answers = {}
    for name, (client, url, headers, status, error_code) in cases.items():
        answer = await client.get(url, headers)
        answers[name] = answer.body
        assert (answer.status, answer.json()["error_code"]) == (status, error_code), name
    assert answers["a topic the caller may not read"] == answers[
        "a topic that does not exist"
    ].replace(b"test-none-here", topic.encode())
    assert answers["a bad cursor in from"] == answers["a bad Last-Event-ID"]


async def test_a_push_stream_is_a_subscription_of_the_rest_face_to_telemetry(
    bootstrap: str,
    key_files: tuple[Path, Path],
    http: aiohttp.ClientSession,
    new_topic: TopicFactory,
) -> None:
    topic, telemetry = await new_topic(), Recorded()
    async with run_gateway(settings(key_files[0], bootstrap), telemetry=telemetry) as gateway:
        await produce(gateway, http, topic, [{"value": 1}, {"value": 22}])
        url = f"{base(gateway)}/topics/{topic}/records?from=beginning"
        async with event_stream(http, url, AUTH) as stream:
            await stream.take(2)

        async def ended() -> bool:
            return len(telemetry.ended) == 1

        await poll_until(ended, 5, 0.05)
    (subscription,) = telemetry.started
    assert telemetry.ended == [subscription]
    operation = subscription.operation
    assert (operation.face, operation.operation_type, operation.operation_name) == (
        "rest",
        "subscription",
        "push_records",
    )
    assert (subscription.topic, subscription.filter_hash, subscription.code) == (topic, None, "OK")
    assert (subscription.deliveries, subscription.delivered_bytes) == (2, 3)


async def test_a_client_gone_in_the_middle_of_a_burst_ends_its_stream(
    bootstrap: str,
    key_files: tuple[Path, Path],
    http: aiohttp.ClientSession,
    new_topic: TopicFactory,
    raw_producer: AIOKafkaProducer,
) -> None:
    topic, telemetry = await new_topic(), Recorded()
    value = b'"' + b"x" * 20_000 + b'"'
    sent = [await raw_producer.send(topic, value) for _ in range(200)]
    await asyncio.gather(*sent)
    async with run_gateway(settings(key_files[0], bootstrap), telemetry=telemetry) as gateway:
        url = f"{base(gateway)}/topics/{topic}/records?from=beginning"
        # Far more than the sockets buffer: the gateway is writing when the client goes away.
        async with event_stream(http, url, AUTH) as stream:
            await stream.take(1)
        state = gateway.app[LIMITS].state("alice")

        async def ended() -> bool:
            return len(telemetry.ended) == 1 and state.subscriptions == 0

        await poll_until(ended, 5, 0.05)
    assert 1 <= telemetry.ended[0].deliveries < 200


async def test_conflate_delivers_the_newest_record_per_key_as_the_budget_refills(
    bootstrap: str,
    key_files: tuple[Path, Path],
    http: aiohttp.ClientSession,
    new_topic: TopicFactory,
) -> None:
    topic, clock, rate, keys, written = await new_topic(), FakeClock(), 5, 4, 40
    conflating = settings(key_files[0], bootstrap, delivery_messages_per_s=rate)
    async with run_gateway(conflating, limits_clock=clock) as gateway:
        await produce(
            gateway, http, topic, [{"key": f"k{i % keys}", "value": i} for i in range(written)]
        )
        url = f"{base(gateway)}/topics/{topic}/records?from=beginning"
        async with event_stream(http, url, AUTH) as stream:
            first = await stream.take(rate)
            state = gateway.app[LIMITS].state("alice")

            async def all_held() -> bool:
                return state.held == written - rate

            await poll_until(all_held, 10, 0.01)
            clock.advance(1)
            newest = await stream.take(keys)
    assert [e.json()["value"] for e in first] == list(range(rate))
    assert sorted((e.json()["key"], e.json()["value"]) for e in newest) == [
        (f"k{k}", written - keys + k) for k in range(keys)
    ]
