"""REST produce under the rules GraphQL writes under, on the real broker: record rules (the
tenant's header stamped, a forged one refused, a value that is not the caller's refused;
kafka:admin writes as given) with what each tenant then reads through GraphQL, and the produce
budget one caller shares across both faces (429 and Retry-After on the second face once the
first spent it; a message over max_message_bytes refused), nothing written by a refusal."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiokafka.admin import AIOKafkaAdminClient

from kafka_graphql.settings import RestSettings, settings_from_mapping
from tests.clients import GraphQLClient, RestClient
from tests.clock import FakeClock
from tests.integration.auth import (  # noqa: F401 (a fixture)
    ADMIN,
    auth_settings,
    create_topic,
    end_offsets,
    key_files_fixture,
)
from tests.integration.conftest import RunningGateway, TopicFactory, run_gateway
from tests.integration.helpers import PRODUCE_BATCH, history
from tests.integration.records import READ_WRITE, raw_records
from tests.tokens import claims, rsa_pair

RSA = rsa_pair()
RUN = uuid.uuid4().hex[:8]


@pytest_asyncio.fixture(scope="module")
async def gateway(bootstrap: str, key_files: tuple[Path, Path]) -> AsyncIterator[RunningGateway]:
    topics: list[dict[str, Any]] = [
        {"name": "test-rest-tenants-*", "records": {"header": "tenant", "claim": "tenant"}},
        {"name": "test-rest-vtenants-*", "records": {"value": "tenant", "claim": "tenant"}},
        {"name": "test-*"},
    ]
    settings = auth_settings(bootstrap, key_files[0], topics=topics).model_copy(
        update={"rest": RestSettings(enabled=True)}
    )
    async with run_gateway(settings) as running:
        yield running


def tenant(
    gateway: RunningGateway, http: aiohttp.ClientSession, who: str | None, scope: str = READ_WRITE
) -> tuple[RestClient, GraphQLClient]:
    token = RSA.sign(claims(scope=scope, tenant=who))
    return RestClient.of(http, gateway.url, token), GraphQLClient(http, gateway.url, token)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


async def test_the_tenants_header_is_stamped_and_a_forged_one_refused(
    gateway: RunningGateway,
    http: aiohttp.ClientSession,
    admin: AIOKafkaAdminClient,
    bootstrap: str,
) -> None:
    topic = f"test-rest-tenants-{RUN}"
    await create_topic(admin, topic)
    (acme, acme_reads), (globex, globex_reads) = (
        tenant(gateway, http, "acme"),
        tenant(gateway, http, "globex"),
    )
    assert (await acme.produce(topic, [{"value": {"n": 1}}, {"value": {"n": 2}}]))[1]["offset"] == 1
    assert (await globex.produce(topic, [{"value": {"n": 3}}]))[0]["offset"] == 2
    forged = {"value": {"n": 4}, "headers": [{"name": "tenant", "value": b64("globex")}]}
    refused = await acme.post(f"/topics/{topic}", {"records": [{"value": {"n": 5}}, forged]})
    assert (refused.status, refused.json()) == (
        403,
        {
            "error_code": 40301,
            "message": "records[1]: header 'tenant' is set by the gateway from the token's "
            "'tenant' claim; it may not be set to anything else",
        },
    )
    nobody, _ = tenant(gateway, http, None)
    refused = await nobody.post(f"/topics/{topic}", {"records": [{"value": 1}]})
    assert (refused.status, refused.json()["error_code"]) == (403, 40301)
    # kafka:admin is not bound by the rule: its record is written as given.
    operator, _ = tenant(gateway, http, None, ADMIN)
    await operator.produce(topic, [forged])
    held = [(r.value, r.headers) for r in await raw_records(bootstrap, topic)]
    assert held == [
        ({"n": 1}, [("tenant", b"acme")]),
        ({"n": 2}, [("tenant", b"acme")]),
        ({"n": 3}, [("tenant", b"globex")]),
        ({"n": 4}, [("tenant", b"globex")]),
    ]
    # Each tenant reads what it wrote over REST, through GraphQL.
    mine = [m["value"] for m in (await history(acme_reads, topic))["messages"]]
    theirs = [m["value"] for m in (await history(globex_reads, topic))["messages"]]
    assert (mine, theirs) == ([{"n": 1}, {"n": 2}], [{"n": 3}, {"n": 4}])


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ([{"value": {"tenant": "acme"}}, {"value": {"tenant": "globex"}}], "records[1]: "),
        ([{"value": {"n": 1}}], "records[0]: "),
        ([{"key": "k", "value": None}], "records[0]: "),  # a tombstone carries no tenant
    ],
)
async def test_a_value_that_is_not_the_callers_is_refused(
    records: list[dict[str, Any]],
    message: str,
    gateway: RunningGateway,
    http: aiohttp.ClientSession,
    admin: AIOKafkaAdminClient,
    bootstrap: str,
) -> None:
    topic = f"test-rest-vtenants-{uuid.uuid4().hex[:12]}"
    await create_topic(admin, topic)
    acme, _ = tenant(gateway, http, "acme")
    refused = await acme.post(f"/topics/{topic}", {"records": records})
    assert (refused.status, refused.json()) == (
        403,
        {
            "error_code": 40301,
            "message": f"{message}the value's tenant must be the token's 'tenant' claim",
        },
    )
    assert await end_offsets(bootstrap, topic) == {0: 0}
    assert (await acme.produce(topic, [{"value": {"tenant": "acme"}}]))[0]["offset"] == 0


@pytest_asyncio.fixture
async def budgeted(bootstrap: str) -> AsyncIterator[tuple[RunningGateway, FakeClock]]:
    limits = {"max_batch_size": 4, "produce_messages_per_s": 4, "max_message_bytes": 100}
    settings = settings_from_mapping(
        {
            "kafka": {"bootstrap_servers": bootstrap, "metadata_max_age_s": 0},
            "server": {"shutdown_grace_s": 2},
            "limits": limits,
            "rest": {"enabled": True},
            "topics": [{"name": "test-*"}],
        }
    )
    clock = FakeClock()
    async with run_gateway(settings, clock) as running:
        yield running, clock


async def test_one_produce_budget_across_both_faces(
    budgeted: tuple[RunningGateway, FakeClock],
    http: aiohttp.ClientSession,
    new_topic: TopicFactory,
    bootstrap: str,
) -> None:
    (gateway, clock), topic = budgeted, await new_topic()
    rest, graphql = RestClient.of(http, gateway.url), GraphQLClient(http, gateway.url)
    three = [{"value": n} for n in range(3)]
    await graphql.data(PRODUCE_BATCH, {"topic": topic, "messages": three})
    # The same caller (this address: no [auth]) has one message left of four.
    refused = await rest.post(f"/topics/{topic}", {"records": three[:2]})
    assert (refused.status, refused.headers["Retry-After"]) == (429, "1")
    assert refused.json()["error_code"] == 42901
    assert "retry in 1 s" in refused.json()["message"]
    assert await end_offsets(bootstrap, topic) == {0: 3}
    clock.advance(1)
    assert [o["offset"] for o in await rest.produce(topic, three)] == [3, 4, 5]
    # Now GraphQL finds the budget spent by REST.
    codes = await graphql.error_codes(PRODUCE_BATCH, {"topic": topic, "messages": three[:2]})
    assert codes == ["RATE_LIMITED"]
    assert await end_offsets(bootstrap, topic) == {0: 6}


async def test_a_message_over_max_message_bytes_is_refused_whole(
    budgeted: tuple[RunningGateway, FakeClock],
    http: aiohttp.ClientSession,
    new_topic: TopicFactory,
    bootstrap: str,
) -> None:
    (gateway, _), topic = budgeted, await new_topic()
    rest = RestClient.of(http, gateway.url)
    refused = await rest.post(f"/topics/{topic}", {"records": [{"value": 1}, {"value": "x" * 99}]})
    assert (refused.status, refused.json()) == (
        422,
        {
            "error_code": 422,
            "message": "message 1 is 101 bytes (key, value and headers); at most 100 are allowed",
        },
    )
    assert await end_offsets(bootstrap, topic) == {0: 0}
