"""Fan-out: many subscribers on one topic share one Kafka consumer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio

from kafka_graphql.kafka import live_feed as live_module
from kafka_graphql.kafka.reader import new_consumer as real_new_consumer
from tests.clients import GraphQLClient, Subscription
from tests.integration.conftest import RunningGateway, TopicFactory, gateway_settings, run_gateway
from tests.integration.helpers import SUBSCRIBE, produce_batch

SUBSCRIBERS = 200


@pytest_asyncio.fixture
async def gateway(bootstrap: str) -> AsyncIterator[RunningGateway]:
    # One caller (127.0.0.1) holds every subscriber's socket: caps and budget to match.
    settings = gateway_settings(
        bootstrap,
        max_connections_per_principal=SUBSCRIBERS,
        max_subscriptions_per_principal=SUBSCRIBERS,
        cost_budget=100 * SUBSCRIBERS,
        delivery_messages_per_s=100 * SUBSCRIBERS,
    )
    async with run_gateway(settings) as running:
        yield running


@pytest.fixture
def client(gateway: RunningGateway, http: aiohttp.ClientSession) -> GraphQLClient:
    return GraphQLClient(http, gateway.url)


async def test_200_subscribers_are_served_by_one_kafka_consumer(
    client: GraphQLClient,
    gateway: RunningGateway,
    new_topic: TopicFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Count the real consumers the live layer opens (a spy around the real factory, no mock).
    opened: list[str] = []

    def counting_new_consumer(settings, role):  # type: ignore[no-untyped-def]
        opened.append(role)
        return real_new_consumer(settings, role)

    monkeypatch.setattr(live_module, "new_consumer", counting_new_consumer)
    topic = await new_topic(partitions=3)
    subs: list[Subscription] = [
        client.subscribe(SUBSCRIBE, {"topic": topic}) for _ in range(SUBSCRIBERS)
    ]
    try:
        for start in range(0, SUBSCRIBERS, 50):
            async with asyncio.TaskGroup() as group:
                for sub in subs[start : start + 50]:
                    group.create_task(sub.__aenter__())
        live = gateway.kafka.live
        await asyncio.wait_for(
            live.wait_until(lambda: live.subscriber_count(topic) == SUBSCRIBERS), 60
        )
        written = await produce_batch(client, topic, [{"value": i} for i in range(5)])
        expected = sorted((w["partition"], w["offset"]) for w in written)

        async def receive(sub: Subscription) -> list[tuple[int, int]]:
            return sorted((m["partition"], m["offset"]) for m in await sub.take(5))

        results = await asyncio.gather(*(receive(sub) for sub in subs))
        assert all(r == expected for r in results)
        assert live.feed_count(topic) == 1
        assert opened == ["live"]
    finally:
        for sub in subs:
            if sub.ws is not None:
                await sub.__aexit__(None, None, None)
    # The last subscriber gone, the shared consumer is closed too.
    await asyncio.wait_for(live.wait_until(lambda: live.feed_count(topic) == 0), 30)
