"""The REST face tells what was gone like the GraphQL API (docs/rest.md): a push stream's
first event of a partition after a gap carries `expired`, after a reset `reset`; `on_gap=fail`
answers 410 with error_code 41001 and `earliest` before the stream starts. The consumer API's
records carry the same `expired`."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import aiohttp
import pytest_asyncio
from aiokafka.admin import AIOKafkaAdminClient

from kafka_graphql.settings import RestSettings
from tests.clients import GraphQLClient, RestClient
from tests.integration.conftest import RunningGateway, TopicFactory, gateway_settings, run_gateway
from tests.integration.consumers import Consumer
from tests.integration.gaps import delete_before
from tests.integration.helpers import produce_batch
from tests.integration.test_gaps import ten_then_cursor
from tests.sse import event_stream


@pytest_asyncio.fixture(scope="module")
async def rest_gateway(bootstrap: str) -> AsyncIterator[RunningGateway]:
    settings = gateway_settings(bootstrap).model_copy(update={"rest": RestSettings(enabled=True)})
    async with run_gateway(settings) as running:
        yield running


async def test_a_push_stream_resumed_past_deleted_records_says_how_many_expired(
    rest_gateway: RunningGateway,
    http: aiohttp.ClientSession,
    admin: AIOKafkaAdminClient,
    new_topic: TopicFactory,
) -> None:
    topic = await new_topic()
    cursor = await ten_then_cursor(GraphQLClient(http, rest_gateway.url), topic)
    await delete_before(admin, topic, 5)
    records = f"{rest_gateway.url.removesuffix('/graphql')}/topics/{topic}/records"

    async with event_stream(http, f"{records}?from={cursor}") as stream:
        events = [e.json() for e in await stream.take(5)]
    assert [e["offset"] for e in events] == [5, 6, 7, 8, 9]
    assert events[0]["expired"] == 4 and "reset" not in events[0]
    assert not any("expired" in e for e in events[1:])

    # From the beginning: whatever is stored, nothing is a gap.
    async with event_stream(http, f"{records}?from=beginning") as stream:
        (first,) = await stream.take(1)
    assert first.json()["offset"] == 5 and "expired" not in first.json()

    async with http.get(
        f"{records}?from={cursor}&on_gap=fail", headers={"Accept": "text/event-stream"}
    ) as refused:
        body = await refused.json()
        assert (refused.status, body["error_code"]) == (410, 41001), body
        assert body["earliest"] == [{"partition": 0, "offset": 5}]


async def test_consumer_records_after_deleted_records_say_how_many_expired(
    rest_gateway: RunningGateway,
    http: aiohttp.ClientSession,
    admin: AIOKafkaAdminClient,
    new_topic: TopicFactory,
) -> None:
    """A consumer instance sought to offset 1, and another of its group that starts from the
    group's committed offset 1: records 1-4 deleted before either read them (aiokafka resets
    both by `auto.offset.reset` without a word; the gateway tells)."""
    topic = await new_topic()
    await produce_batch(
        GraphQLClient(http, rest_gateway.url), topic, [{"value": i} for i in range(10)]
    )
    rest = RestClient.of(http, rest_gateway.url)
    group = f"test-gaps-{uuid.uuid4().hex[:8]}"
    partition = {"topic": topic, "partition": 0}
    # No auto-commit: a member would commit its position when it closes or as it reads, and
    # the group's committed offset must stay 1.
    config = {"format": "json", "auto.offset.reset": "earliest", "auto.commit.enable": "false"}
    # Confluent's commit names the last record read: the group continues at 1. (A member of
    # its own: an assigned member fetches ahead at once, records 1-4 too.)
    committer = await Consumer.create(rest, group, **config)
    try:
        await committer.must("POST", "/assignments", {"partitions": [partition]})
        await committer.must("POST", "/offsets", {"offsets": [{**partition, "offset": 0}]})
    finally:
        await committer.delete()
    await delete_before(admin, topic, 5)
    sought = await Consumer.create(rest, group, **config)
    joined = await Consumer.create(rest, group, **config)
    try:
        await sought.must("POST", "/assignments", {"partitions": [partition]})
        await sought.must("POST", "/positions", {"offsets": [{**partition, "offset": 1}]})
        await joined.must("POST", "/assignments", {"partitions": [partition]})
        for consumer in (sought, joined):
            read = await consumer.read(5)
            assert [r["offset"] for r in read] == [5, 6, 7, 8, 9]
            assert read[0]["expired"] == 4 and "reset" not in read[0]
            assert not any("expired" in r for r in read[1:])
    finally:
        await sought.delete()
        await joined.delete()
