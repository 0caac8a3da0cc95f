"""The REST face tells what was gone like the GraphQL API (docs/rest.md): a push stream's
first event of a partition after a gap carries `expired`, after a reset `reset`; `on_gap=fail`
answers 410 with error_code 41001 and `earliest` before the stream starts."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest_asyncio
from aiokafka.admin import AIOKafkaAdminClient

from kafka_graphql.settings import RestSettings
from tests.clients import GraphQLClient
from tests.integration.conftest import RunningGateway, TopicFactory, gateway_settings, run_gateway
from tests.integration.gaps import delete_before
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
