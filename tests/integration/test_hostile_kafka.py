"""Kafka stays protected (issue 14, point 10): a caller cannot make the gateway send Kafka a
metadata request per topic name it invents, nor open a Kafka consumer per page it asks for.

Metadata requests are counted where they leave for the broker (every aiokafka connection's
`send`), consumers where the pool makes them; both still do the real work."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.conn import AIOKafkaConnection

from kafka_graphql.kafka import consumers, reader_pool
from kafka_graphql.kafka.reader import PartitionReader
from kafka_graphql.settings import Settings, settings_from_mapping
from tests.clients import GraphQLClient, without_request_ids
from tests.integration.auth import key_files_fixture  # noqa: F401 (a fixture)
from tests.integration.conftest import UNTHROTTLED, run_gateway
from tests.integration.helpers import HISTORY, SUBSCRIBE, create_served_topic, poll_until
from tests.tokens import AUDIENCE, ISSUER, claims, rsa_pair

RSA = rsa_pair()
TOPIC = "query($n: String!) { topic(name: $n) { name } }"
MESSAGES = "query($t: String!) { messages(topic: $t) { messages { offset } } }"
PRODUCE = "mutation($t: String!) { produce(topic: $t, value: 1) { offset } }"


@contextmanager
def metadata_requests(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """The topics of every metadata request any aiokafka client of this process sends from now
    on (None: every topic of the cluster)."""
    sent: list[Any] = []
    real = AIOKafkaConnection.send

    def send(self: AIOKafkaConnection, request: Any, expect_response: bool = True) -> Any:
        if type(request).__name__.startswith("MetadataRequest"):
            # aiokafka's request before it is built for the broker's version, or the built one.
            sent.append(getattr(request, "_topics", getattr(request, "topics", None)))
        return real(self, request, expect_response)

    monkeypatch.setattr(AIOKafkaConnection, "send", send)
    yield sent


def open_settings(bootstrap: str, prefix: str, **kafka: Any) -> Settings:
    return settings_from_mapping(
        {
            "kafka": {"bootstrap_servers": bootstrap, **kafka},
            "server": {"shutdown_grace_s": 2},
            "limits": UNTHROTTLED,
            "topics": [{"name": f"{prefix}-*"}],
        }
    )


def aliased_lookups(names: list[str]) -> tuple[str, dict[str, str]]:
    """One query asking for each of `names` by `topic(name:)`, under an alias each."""
    variables = {f"n{i}": name for i, name in enumerate(names)}
    declared = ", ".join(f"$n{i}: String!" for i in range(len(names)))
    fields = " ".join(f"t{i}: topic(name: $n{i}) {{ name }}" for i in range(len(names)))
    return f"query({declared}) {{ {fields} }}", variables


async def test_unknown_names_are_answered_from_cached_metadata(
    bootstrap: str,
    http: aiohttp.ClientSession,
    admin: AIOKafkaAdminClient,
    raw_producer: AIOKafkaProducer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prefix = f"meta{uuid.uuid4().hex[:8]}"
    real_topic = f"{prefix}-real"
    await create_served_topic(admin, real_topic)
    await raw_producer.send_and_wait(real_topic, b'"here"')
    # The default age: a name looked up now is answered from what start-up fetched.
    async with run_gateway(open_settings(bootstrap, prefix, metadata_max_age_s=30)) as gateway:
        hostile = GraphQLClient(http, gateway.url)
        other = GraphQLClient(http, gateway.url)
        unknown = [f"{prefix}-missing-{i}" for i in range(1000)]
        expected = {"messages": {"messages": [{"offset": 0}]}}
        assert await other.data(MESSAGES, {"t": real_topic}) == expected
        started = time.monotonic()
        with metadata_requests(monkeypatch) as sent:
            # 1,000 distinct names that exist nowhere, by three ways of asking: 30 per query
            # by name (the alias cap), and pages and writes one by one.
            for i in range(0, 900, 30):
                query, variables = aliased_lookups(unknown[i : i + 30])
                data = await hostile.data(query, variables)
                assert set(data.values()) == {None}
            for name in unknown[900:950]:
                assert await hostile.error_codes(MESSAGES, {"t": name}) == ["NOT_FOUND"]
            for name in unknown[950:]:
                assert await hostile.error_codes(PRODUCE, {"t": name}) == ["NOT_FOUND"]
        elapsed = time.monotonic() - started
        # Fetched at most once per metadata_max_age_s (30 s), not once per name (1,000).
        assert len(sent) <= 1 + int(elapsed // 30), sent
        # Another caller is served as before, from the same cache.
        assert await other.data(MESSAGES, {"t": real_topic}) == expected

        # The answer tells an invented name from an unexposed topic by nothing but the name
        # (and the request's own id).
        missing = without_request_ids(await hostile.post(MESSAGES, {"t": f"{prefix}-gone"}))
        unexposed = without_request_ids(await hostile.post(MESSAGES, {"t": "elsewhere-gone"}))
        assert json.dumps(missing).replace(f"{prefix}-gone", "X") == json.dumps(unexposed).replace(
            "elsewhere-gone", "X"
        )
        assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_a_topic_created_after_start_is_found_within_the_metadata_age(
    bootstrap: str,
    http: aiohttp.ClientSession,
    admin: AIOKafkaAdminClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prefix = f"late{uuid.uuid4().hex[:8]}"
    late = f"{prefix}-late"
    max_age = 2.0
    settings = open_settings(bootstrap, prefix, metadata_max_age_s=max_age)
    async with run_gateway(settings) as gateway:
        client = GraphQLClient(http, gateway.url)
        assert await client.data(TOPIC, {"n": late}) == {"topic": None}
        await create_served_topic(admin, late)
        created = time.monotonic()
        with metadata_requests(monkeypatch) as sent:
            asked = 0

            async def found() -> bool:
                nonlocal asked
                asked += 1
                return bool((await client.data(TOPIC, {"n": late}))["topic"])

            # Asked for every 50 ms, as a client retrying would.
            await poll_until(found, timeout_s=30, interval_s=0.05)
            waited = time.monotonic() - created
        # Visible within the age (plus the time a loaded machine takes to answer) ...
        assert waited <= max_age + 3, waited
        # ... after at most one refresh per age, however often it was asked for.
        assert asked > len(sent) and len(sent) <= 1 + int(waited // max_age), (asked, sent)


async def test_readiness_and_pages_never_ask_kafka_for_every_topic(
    bootstrap: str,
    http: aiohttp.ClientSession,
    admin: AIOKafkaAdminClient,
    raw_producer: AIOKafkaProducer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The metadata of every topic of the cluster (a large answer: decoding it holds the loop
    ~60-90 ms on a cluster of 2,600 topics) is fetched once per metadata_max_age_s, never per
    request: `/readyz`, open to anyone, asks for the brokers only, and a page's pooled reader,
    given back, does not ask for it either (unassigning it would)."""
    prefix = f"ready{uuid.uuid4().hex[:8]}"
    topics = [f"{prefix}-a", f"{prefix}-b"]
    for topic in topics:
        await create_served_topic(admin, topic)
        await raw_producer.send_and_wait(topic, b'"x"')
    async with run_gateway(open_settings(bootstrap, prefix, metadata_max_age_s=30)) as gateway:
        client = GraphQLClient(http, gateway.url)
        url = gateway.url.rsplit("/", 1)[0] + "/readyz"
        with metadata_requests(monkeypatch) as sent:
            for i in range(40):
                async with http.get(url) as response:
                    assert response.status == 200
                    assert (await response.json())["status"] == "ready"
                # Pages of both topics in turns, through the pooled readers.
                page = await client.data(MESSAGES, {"t": topics[i % 2]})
                assert page == {"messages": {"messages": [{"offset": 0}]}}
        assert len(sent) >= 40 and None not in sent, sent


def auth_gateway_settings(
    bootstrap: str, key_file: Path, prefix: str, kafka: dict[str, Any], limits: dict[str, Any]
) -> Settings:
    return settings_from_mapping(
        {
            "kafka": {"bootstrap_servers": bootstrap, "metadata_max_age_s": 0, **kafka},
            "server": {"shutdown_grace_s": 2},
            "limits": {**UNTHROTTLED, **limits},
            "auth": {
                "algorithms": ["RS256"],
                "issuer": ISSUER,
                "audience": AUDIENCE,
                "leeway_s": 0,
                "public_key_file": str(key_file),
            },
            "topics": [{"name": f"{prefix}-*"}],
        },
        environ={},
    )


class ConsumerCount:
    """Readers the pool has started and not yet stopped, and the most at once."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.open = self.most = 0
        real = consumers.new_consumer

        def new_consumer(*args: Any) -> Any:
            consumer = real(*args)
            start, stop = consumer.start, consumer.stop

            async def counted_start() -> None:
                await start()
                self.open += 1
                self.most = max(self.most, self.open)

            async def counted_stop() -> None:
                await stop()
                self.open -= 1

            consumer.start, consumer.stop = counted_start, counted_stop
            return consumer

        monkeypatch.setattr(reader_pool, "new_consumer", new_consumer)


async def fill(raw_producer: AIOKafkaProducer, topic: str, count: int) -> None:
    futures = [await raw_producer.send(topic, json.dumps({"n": i}).encode()) for i in range(count)]
    await asyncio.gather(*futures)


def caller(http: aiohttp.ClientSession, url: str, sub: str) -> GraphQLClient:
    return GraphQLClient(http, url, RSA.sign(claims(sub=sub, scope="kafka:read:* kafka:write:*")))


async def test_history_readers_are_capped_per_caller_and_in_all(
    bootstrap: str,
    http: aiohttp.ClientSession,
    admin: AIOKafkaAdminClient,
    raw_producer: AIOKafkaProducer,
    key_files: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prefix = f"readers{uuid.uuid4().hex[:8]}"
    big, small = f"{prefix}-big", f"{prefix}-small"
    await create_served_topic(admin, big, partitions=2)
    await create_served_topic(admin, small)
    await fill(raw_producer, big, 2000)
    await fill(raw_producer, small, 5)
    settings = auth_gateway_settings(
        bootstrap,
        key_files[0],
        prefix,
        kafka={"max_readers": 3, "reader_pool_size": 1, "reader_wait_s": 60},
        limits={"max_readers_per_principal": 2},
    )
    counted = ConsumerCount(monkeypatch)
    # Reads of the big topic wait for `release` before each fetch (and then fetch from
    # Kafka as ever): its pages hold their readers until the test lets them go on.
    release = asyncio.Event()
    real_fetch = PartitionReader.fetch

    async def fetch(self: PartitionReader, timeout_s: float) -> Any:
        if self._topic == big:
            await release.wait()
        return await real_fetch(self, timeout_s)

    monkeypatch.setattr(PartitionReader, "fetch", fetch)
    scan_all = {"topic": big, "limit": 5, "filter": {"key": "none"}}
    async with run_gateway(settings) as gateway:
        hostile = caller(http, gateway.url, "hostile")
        other = caller(http, gateway.url, "other")
        readers = gateway.kafka.readers
        pages = [asyncio.ensure_future(hostile.post(HISTORY, scan_all)) for _ in range(12)]
        # Two of the caller's pages hold its two readers, two wait (its share of the queue),
        # and the eight beyond are refused at once.
        refused = []
        for done in asyncio.as_completed(pages[:]):
            refused.append(await done)
            if len(refused) == 8:
                break
        assert all(
            [e["extensions"]["code"] for e in answer["errors"]] == ["LIMIT_EXCEEDED"]
            for answer in refused
        ), refused
        assert readers.waiting == 2 and readers.open == 2
        # Another caller is served at once, by the reader the caps leave free.
        page = await asyncio.wait_for(other.data(HISTORY, {"topic": small, "limit": 3}), 30)
        assert [m["value"] for m in page["messages"]["messages"]] == [{"n": i} for i in range(3)]
        release.set()
        answers = await asyncio.gather(*pages)
    served = [a for a in answers if "errors" not in a]
    assert len(served) == 4 and sum("errors" in a for a in answers) == 8
    for answer in served:
        found = answer["data"]["messages"]
        assert found["messages"] == [] and found["hasMore"] is False  # scanned to the end
    # Never more readers than kafka.max_readers at once; none left open after the gateway.
    assert counted.most == 3 and counted.open == 0


async def test_replaying_subscriptions_wait_for_readers_and_lose_nothing(
    bootstrap: str,
    http: aiohttp.ClientSession,
    admin: AIOKafkaAdminClient,
    raw_producer: AIOKafkaProducer,
    key_files: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prefix = f"replay{uuid.uuid4().hex[:8]}"
    topic = f"{prefix}-t"
    await create_served_topic(admin, topic, partitions=1)
    await fill(raw_producer, topic, 3000)
    settings = auth_gateway_settings(
        bootstrap,
        key_files[0],
        prefix,
        kafka={"max_readers": 3, "reader_pool_size": 0, "reader_wait_s": 60},
        limits={"max_readers_per_principal": 2},
    )
    counted = ConsumerCount(monkeypatch)
    held: list[int] = []
    real_take = reader_pool.ReaderPool.take

    async def take(self: reader_pool.ReaderPool, owner: str = "") -> Any:
        consumer = await real_take(self, owner)
        held.append(self._held[owner])
        return consumer

    monkeypatch.setattr(reader_pool.ReaderPool, "take", take)
    # Every 1,000th record: a catch-up reads all 3,000 and delivers three.
    wanted = {"value": [{"path": "n", "in": [0, 1000, 2000]}]}
    async with run_gateway(settings) as gateway:
        hostile = caller(http, gateway.url, "hostile")
        other = caller(http, gateway.url, "other")

        async def replay() -> list[int]:
            variables = {"topic": topic, "fromOffset": 0, "filter": wanted}
            async with hostile.subscribe(SUBSCRIBE, variables) as stream:
                return [m["value"]["n"] for m in await stream.take(3)]

        # Four catch-ups at once, two readers for the caller: they take turns.
        replays = [asyncio.ensure_future(replay()) for _ in range(4)]
        page = await asyncio.wait_for(other.data(HISTORY, {"topic": topic, "limit": 2}), 30)
        assert [m["offset"] for m in page["messages"]["messages"]] == [0, 1]
        assert await asyncio.gather(*replays) == [[0, 1000, 2000]] * 4
    assert max(held) == 2  # the caller never held more than its two readers
    assert counted.most <= 3 and counted.open == 0


async def test_a_subscription_beyond_the_readers_ends_with_limit_exceeded(
    bootstrap: str,
    http: aiohttp.ClientSession,
    admin: AIOKafkaAdminClient,
    raw_producer: AIOKafkaProducer,
    key_files: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prefix = f"refused{uuid.uuid4().hex[:8]}"
    topic = f"{prefix}-t"
    await create_served_topic(admin, topic)
    await fill(raw_producer, topic, 10)
    settings = auth_gateway_settings(
        bootstrap,
        key_files[0],
        prefix,
        kafka={"max_readers": 4, "reader_pool_size": 0, "reader_wait_s": 60},
        limits={"max_readers_per_principal": 1},
    )
    # Catch-ups wait for `release` before each fetch: the first holds the caller's reader.
    release = asyncio.Event()
    real_fetch = PartitionReader.fetch

    async def fetch(self: PartitionReader, timeout_s: float) -> Any:
        await release.wait()
        return await real_fetch(self, timeout_s)

    monkeypatch.setattr(PartitionReader, "fetch", fetch)
    async with run_gateway(settings) as gateway:
        hostile = caller(http, gateway.url, "hostile")
        readers = gateway.kafka.readers
        variables = {"topic": topic, "fromOffset": 0}
        async with (
            hostile.subscribe(SUBSCRIBE, variables) as reading,
            hostile.subscribe(SUBSCRIBE, variables) as waiting,
        ):

            async def queued() -> bool:
                return readers.waiting == 1

            await poll_until(queued, timeout_s=30, interval_s=0.01)
            # The caller's reader is held and its one place in the queue taken: a third
            # replay is refused at once, as the stream's error.
            async with hostile.subscribe(SUBSCRIBE, variables) as refused:
                event = await refused.next_event()
            assert event["type"] in ("next", "error"), event
            errors = event["payload"]["errors"] if event["type"] == "next" else event["payload"]
            assert [e["extensions"]["code"] for e in errors] == ["LIMIT_EXCEEDED"]
            release.set()
            for stream in (reading, waiting):
                assert [m["offset"] for m in await stream.take(10)] == list(range(10))
