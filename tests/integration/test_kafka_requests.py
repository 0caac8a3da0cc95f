"""How many requests and connections the gateway spends on Kafka: `topics { partitions }` asks for
offsets once, not once per topic; history pages reuse pooled readers instead of opening a
connection each. Counted on the real aiokafka objects, which still do the work."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp
import aiokafka.client
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from kafka_graphql.core.errors import KafkaUnavailable
from kafka_graphql.settings import settings_from_mapping
from tests.clients import GraphQLClient
from tests.integration.brokers import PrivateBroker
from tests.integration.conftest import RunningGateway, TopicFactory, run_gateway
from tests.integration.helpers import HISTORY, SUBSCRIBE, create_served_topic, poll_until


@contextmanager
def counting(owner: Any, name: str) -> Iterator[list[tuple[Any, ...]]]:
    """Records each call of `owner.name` (an async callable), which still runs as before."""
    real: Callable[..., Awaitable[Any]] = getattr(owner, name)
    calls: list[tuple[Any, ...]] = []

    async def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return await real(*args, **kwargs)

    setattr(owner, name, counted)
    try:
        yield calls
    finally:
        setattr(owner, name, real)


def settings(bootstrap: str, prefix: str, pool: int, request_timeout_s: float = 10) -> Any:
    return settings_from_mapping(
        {
            "kafka": {
                "bootstrap_servers": bootstrap,
                "reader_pool_size": pool,
                "request_timeout_s": request_timeout_s,
            },
            "topics": [{"name": f"{prefix}-*"}],
        }
    )


async def test_topics_partitions_is_one_offsets_request(
    bootstrap: str,
    http: aiohttp.ClientSession,
    new_topic: TopicFactory,
    raw_producer: AIOKafkaProducer,
) -> None:
    prefix = f"batch{uuid.uuid4().hex[:8]}"
    sizes = {await new_topic(partitions=n, prefix=prefix): n for n in (1, 2, 3, 2)}
    for i, topic in enumerate(sizes):
        for partition in range(sizes[topic]):
            for _ in range(i + partition):
                await raw_producer.send_and_wait(topic, b"1", partition=partition)
    expected = sorted(
        (
            {
                "name": topic,
                "partitions": [
                    {"id": p, "earliestOffset": 0, "latestOffset": i + p} for p in range(n)
                ],
            }
            for i, (topic, n) in enumerate(sizes.items())
        ),
        key=lambda t: str(t["name"]),
    )
    query = "{ topics { name partitions { id earliestOffset latestOffset } } }"
    async with run_gateway(settings(bootstrap, prefix, pool=4)) as gateway:
        client = GraphQLClient(http, gateway.url)
        offsets = gateway.kafka._cluster._offsets  # the real aiokafka consumer
        with (
            counting(offsets, "beginning_offsets") as earliest,
            counting(offsets, "end_offsets") as latest,
        ):
            data = await client.data(query)
        assert data["topics"] == expected
        # One request for the earliest offsets of all 8 partitions, one for the latest.
        assert (len(earliest), len(latest)) == (1, 1)
        assert len(earliest[0][0]) == sum(sizes.values())

        # One topic by name, and an unknown one, answer as before.
        one = next(iter(sizes))
        data = await client.data(
            "query($n: String!, $m: String!) { topic(name: $n) { partitions { id latestOffset } } "
            "gone: topic(name: $m) { name } }",
            {"n": one, "m": f"{prefix}-missing"},
        )
        assert data == {"topic": {"partitions": [{"id": 0, "latestOffset": 0}]}, "gone": None}


async def read_all(client: GraphQLClient, topic: str, limit: int) -> list[tuple[int, int, str]]:
    """Every record of `topic`, page by page; (partition, offset, value)."""
    seen: list[tuple[int, int, str]] = []
    after = None
    while True:
        data = await client.data(HISTORY, {"topic": topic, "limit": limit, "after": after})
        page = data["messages"]
        seen += [(m["partition"], m["offset"], m["value"]) for m in page["messages"]]
        after = page["nextCursor"]
        if not page["hasMore"]:
            return seen


@pytest.mark.parametrize("pool", [0, 2])
async def test_history_pages_reuse_pooled_readers(
    bootstrap: str,
    http: aiohttp.ClientSession,
    admin: AIOKafkaAdminClient,
    raw_producer: AIOKafkaProducer,
    monkeypatch: pytest.MonkeyPatch,
    pool: int,
) -> None:
    prefix = f"pool{uuid.uuid4().hex[:8]}"
    topic = f"{prefix}-t"
    await create_served_topic(admin, topic, partitions=2)
    written = []
    for i in range(20):
        meta = await raw_producer.send_and_wait(topic, f'"v{i}"'.encode(), partition=i % 2)
        written.append((meta.partition, meta.offset, f"v{i}"))
    opened: list[tuple[Any, ...]] = []
    real_create_conn = aiokafka.client.create_conn

    async def create_conn(*args: Any, **kwargs: Any) -> Any:
        opened.append(args)
        return await real_create_conn(*args, **kwargs)

    async with run_gateway(settings(bootstrap, prefix, pool)) as gateway:
        client = GraphQLClient(http, gateway.url)
        await read_all(client, topic, limit=20)  # metadata and offsets clients are connected now
        monkeypatch.setattr(aiokafka.client, "create_conn", create_conn)
        pages = 0
        for _ in range(2):
            seen = await read_all(client, topic, limit=3)
            pages += -(-len(seen) // 3)
            assert sorted(seen) == sorted(written)
        assert pages >= 14
        if pool:
            # The warm reader serves every page: no new connection at all.
            assert opened == []
            assert gateway.kafka.readers.idle == 1
        else:
            # Without a pool each page starts a reader of its own (bootstrap, then its leader).
            assert len(opened) >= pages
        monkeypatch.undo()
    assert gateway.kafka.readers.idle == 0  # closed with the gateway


async def test_a_replaying_subscription_catches_up_with_a_pooled_reader(
    bootstrap: str,
    http: aiohttp.ClientSession,
    admin: AIOKafkaAdminClient,
    raw_producer: AIOKafkaProducer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prefix = f"pool{uuid.uuid4().hex[:8]}"
    topic = f"{prefix}-t"
    await create_served_topic(admin, topic, partitions=1)
    for i in range(5):
        await raw_producer.send_and_wait(topic, f"{i}".encode())
    opened: list[tuple[Any, ...]] = []
    real_create_conn = aiokafka.client.create_conn

    async def create_conn(*args: Any, **kwargs: Any) -> Any:
        opened.append(args)
        return await real_create_conn(*args, **kwargs)

    async with (
        run_gateway(settings(bootstrap, prefix, 2)) as gateway,
        # A live subscriber keeps the topic's shared feed (and its connections) up throughout.
        GraphQLClient(http, gateway.url).subscribe(SUBSCRIBE, {"topic": topic}),
    ):
        client = GraphQLClient(http, gateway.url)
        live = gateway.kafka.live
        await live.wait_until(lambda: live.subscriber_count(topic) == 1)

        async def replay() -> list[int]:
            async with client.subscribe(SUBSCRIBE, {"topic": topic, "fromOffset": 0}) as stream:
                return [message["offset"] for message in await stream.take(5)]

        assert await replay() == [0, 1, 2, 3, 4]  # warms the pool (and the live feed)
        assert gateway.kafka.readers.idle == 1
        monkeypatch.setattr(aiokafka.client, "create_conn", create_conn)
        for _ in range(3):
            assert await replay() == [0, 1, 2, 3, 4]
        # Each catch-up took the warm reader and gave it back: no new connection.
        assert opened == []
        assert gateway.kafka.readers.idle == 1
        monkeypatch.undo()


# Starts a broker twice (see test_kafka_outage.py).
@pytest.mark.timeout(360)
async def test_a_reader_broken_by_an_outage_is_discarded(private_broker: PrivateBroker) -> None:
    prefix = f"outage{uuid.uuid4().hex[:8]}"
    topic = f"{prefix}-t"
    admin = AIOKafkaAdminClient(bootstrap_servers=private_broker.bootstrap)
    await admin.start()
    try:
        await create_served_topic(admin, topic, partitions=1)
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=private_broker.bootstrap, acks="all")
    await producer.start()
    try:
        for i in range(3):
            await producer.send_and_wait(topic, f'"v{i}"'.encode())
    finally:
        await producer.stop()

    async def page(gateway: RunningGateway) -> list[int]:
        read = await gateway.kafka.read_page(topic, {0: 0}, {0: 3}, 10, lambda _: True, 100)
        return [r.offset for r in read.records]

    async with run_gateway(
        settings(private_broker.bootstrap, prefix, pool=2, request_timeout_s=2)
    ) as gateway:
        assert await page(gateway) == [0, 1, 2]
        assert gateway.kafka.readers.idle == 1
        await private_broker.down()
        started = time.monotonic()
        with pytest.raises(KafkaUnavailable):
            await page(gateway)
        assert time.monotonic() - started < 3 * 2 + 2
        assert gateway.kafka.readers.idle == 0  # not given back
        await private_broker.up()
        answers: list[list[int]] = []

        async def answered() -> bool:
            try:
                answers.append(await page(gateway))
            except KafkaUnavailable:
                return False
            return True

        await poll_until(answered, timeout_s=60, interval_s=0.5)
        assert answers == [[0, 1, 2]]
        assert gateway.kafka.readers.idle == 1
