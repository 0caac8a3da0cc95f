"""REST consumer instances as members of real Kafka consumer groups, with `[auth]` on: two
instances of one group split a topic's partitions, commit, one is deleted and the other takes
over from the committed offsets (nothing lost or repeated); a tenant's instance never receives
another tenant's record while its committed offsets advance past them; instances belong to
the principal that made them (and a token of theirs that may no longer read a topic gets none
of its records); every one is closed when idle and when the gateway stops."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest_asyncio
from aiokafka.admin import AIOKafkaAdminClient

from kafka_graphql.rest.consumers import CONSUMERS
from kafka_graphql.settings import RestSettings
from tests.clients import RestClient
from tests.integration.auth import (  # noqa: F401 (a fixture)
    auth_settings,
    create_topic,
    key_files_fixture,
)
from tests.integration.conftest import RunningGateway, run_gateway
from tests.integration.consumers import Consumer
from tests.tokens import claims, rsa_pair

RSA = rsa_pair()
RUN = uuid.uuid4().hex[:8]
SCOPES = "kafka:read:* kafka:write:* kafka:group:test-*"
TENANTS = f"test-rest-ctenants-{RUN}"


@pytest_asyncio.fixture(scope="module")
async def gateway(bootstrap: str, key_files: tuple[Path, Path]) -> AsyncIterator[RunningGateway]:
    topics: list[dict[str, Any]] = [
        {"name": "test-rest-ctenants-*", "records": {"header": "tenant", "claim": "tenant"}},
        {"name": "test-*"},
    ]
    settings = auth_settings(bootstrap, key_files[0], topics=topics).model_copy(
        update={"rest": RestSettings(enabled=True)}
    )
    async with run_gateway(settings) as running:
        yield running


def rest(gateway: RunningGateway, http: aiohttp.ClientSession, **token: Any) -> RestClient:
    return RestClient.of(http, gateway.url, RSA.sign(claims(scope=SCOPES, **token)))


async def produce(client: RestClient, topic: str, partition: int, values: range) -> None:
    records = [{"value": {"n": n}} for n in values]
    answer = await client.post(f"/topics/{topic}/partitions/{partition}", {"records": records})
    assert answer.status == 200, answer.body


def seen(records: list[dict[str, Any]]) -> list[tuple[int, int, int]]:
    return sorted((r["partition"], r["offset"], r["value"]["n"]) for r in records)


async def test_two_instances_split_the_partitions_and_one_takes_over_from_the_commits(
    gateway: RunningGateway, http: aiohttp.ClientSession, admin: AIOKafkaAdminClient
) -> None:
    topic, group = f"test-rest-group-{RUN}", f"test-group-{RUN}"
    await create_topic(admin, topic, 2)
    client = rest(gateway, http)
    config = {"format": "json", "auto.offset.reset": "earliest", "auto.commit.enable": "false"}
    first = await Consumer.create(client, group, **config)
    second = await Consumer.create(client, group, **config)
    try:
        for member in (first, second):
            await member.must("POST", "/subscription", {"topics": [topic]})
            assert await member.must("GET", "/subscription") == {"topics": [topic]}
        await first.wait_assigned(1, [second])
        await second.wait_assigned(1, [first])
        ((_, mine),), ((_, theirs),) = await first.assigned(), await second.assigned()
        assert {mine, theirs} == {0, 1}
        await produce(client, topic, mine, range(0, 5))
        await produce(client, topic, theirs, range(10, 15))
        assert seen(await first.read(5)) == [(mine, o, o) for o in range(5)]
        assert seen(await second.read(5)) == [(theirs, o, 10 + o) for o in range(5)]
        for member in (first, second):
            await member.must("POST", "/offsets")
        committed = await second.must("GET", "/offsets", {"partitions": [_tp(topic, theirs)]})
        assert committed == {"offsets": [{**_tp(topic, theirs), "offset": 5, "metadata": ""}]}
        await second.delete()
        await first.wait_assigned(2, [])
        await produce(client, topic, mine, range(5, 8))
        await produce(client, topic, theirs, range(15, 18))
        expected = [(mine, o, o) for o in range(5, 8)] + [(theirs, o, 10 + o) for o in range(5, 8)]
        assert seen(await first.read(6)) == sorted(expected)
        assert (await first.records(timeout_ms=300)).json() == []
    finally:
        await first.delete()
        await second.delete()


def _tp(topic: str, partition: int) -> dict[str, Any]:
    return {"topic": topic, "partition": partition}


async def test_a_tenant_reads_only_its_records_and_commits_past_the_others(
    gateway: RunningGateway, http: aiohttp.ClientSession, admin: AIOKafkaAdminClient
) -> None:
    await create_topic(admin, TENANTS, 1)
    acme, globex = rest(gateway, http, tenant="acme"), rest(gateway, http, tenant="globex")
    await produce(acme, TENANTS, 0, range(0, 1))
    await produce(globex, TENANTS, 0, range(1, 3))
    await produce(acme, TENANTS, 0, range(3, 4))
    await produce(globex, TENANTS, 0, range(4, 5))
    consumer = await Consumer.create(
        acme, f"test-tenant-{RUN}", format="json", **{"auto.offset.reset": "earliest"}
    )
    try:
        await consumer.must("POST", "/assignments", {"partitions": [_tp(TENANTS, 0)]})
        records = await consumer.read(2)
        assert [(r["offset"], r["value"]) for r in records] == [(0, {"n": 0}), (3, {"n": 3})]
        assert (await consumer.records(timeout_ms=300)).json() == []
        await consumer.must("POST", "/offsets")
        committed = await consumer.must("GET", "/offsets", {"partitions": [_tp(TENANTS, 0)]})
        assert committed["offsets"][0]["offset"] == 5
    finally:
        await consumer.delete()


async def test_an_instance_belongs_to_its_principal(
    gateway: RunningGateway, http: aiohttp.ClientSession
) -> None:
    owner, other = rest(gateway, http, sub="owner"), rest(gateway, http, sub="other")
    consumer = await Consumer.create(owner, f"test-owned-{RUN}", format="json")
    stranger = Consumer(other, consumer.group, consumer.name, "json")
    try:
        refusals = [
            await stranger.call("GET", "/subscription"),
            await stranger.call("POST", "/subscription", {"topics": [TENANTS]}),
            await stranger.records(),
            await stranger.call("GET", "/assignments"),
            await stranger.call("POST", "/offsets"),
            await stranger.call("DELETE", ""),
        ]
        for answer in refusals:
            assert (answer.status, answer.json()) == (
                404,
                {"error_code": 40403, "message": "Consumer instance not found."},
            )
        assert await consumer.must("GET", "/subscription") == {"topics": []}
    finally:
        await consumer.delete()


async def test_instances_are_closed_when_idle_and_at_shutdown(
    bootstrap: str, key_files: tuple[Path, Path], http: aiohttp.ClientSession
) -> None:
    settings = auth_settings(bootstrap, key_files[0]).model_copy(
        update={"rest": RestSettings(enabled=True)}
    )
    async with run_gateway(settings) as running:
        client = rest(running, http)
        idle = await Consumer.create(client, f"test-idle-{RUN}")
        kept = await Consumer.create(client, f"test-idle-{RUN}")
        instances = running.app[CONSUMERS]
        assert await instances.reap(settings.rest.consumer_instance_timeout_s) == 0
        await kept.must("GET", "/subscription")
        # Not used for as long as the reaper is told: closed, its next request answers 40403.
        found = instances.find(idle.group, idle.name)
        assert found is not None
        found.last_used -= 1000
        assert await instances.reap(999) == 1
        assert (await idle.call("GET", "/subscription")).json()["error_code"] == 40403
        assert [i.name for i in instances] == [kept.name]
        last = instances.find(kept.group, kept.name)
        assert last is not None
    assert list(instances) == []
    assert last.consumer.closed and found.consumer.closed


async def test_a_token_that_may_no_longer_read_a_topic_gets_none_of_its_records(
    gateway: RunningGateway, http: aiohttp.ClientSession, admin: AIOKafkaAdminClient
) -> None:
    topic = f"test-rest-narrow-{RUN}"
    await create_topic(admin, topic, 1)
    wide = rest(gateway, http, sub="narrowed")
    narrow = RestClient.of(
        http, gateway.url, RSA.sign(claims(scope="kafka:group:test-*", sub="narrowed"))
    )
    await produce(wide, topic, 0, range(0, 2))
    consumer = await Consumer.create(
        wide, f"test-narrow-{RUN}", format="json", **{"auto.offset.reset": "earliest"}
    )
    try:
        await consumer.must("POST", "/assignments", {"partitions": [_tp(topic, 0)]})
        # The same subject's instance, called with a token without kafka:read: nothing shown,
        # and the records are passed over.
        narrowed = Consumer(narrow, consumer.group, consumer.name, "json")
        assert [(await narrowed.records(timeout_ms=1000)).json() for _ in range(2)] == [[], []]
        await produce(wide, topic, 0, range(2, 3))
        assert [r["offset"] for r in await consumer.read(1)] == [2]
    finally:
        await consumer.delete()
