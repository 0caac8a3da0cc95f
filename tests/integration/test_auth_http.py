"""Authentication over HTTP, on the real gateway over the real broker: a refused write writes
nothing, and anonymous callers get the anonymous scopes (every refusal with its status, challenge
and code, and what gets through: tests/unit/transport/test_auth_http.py)."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from aiokafka.admin import AIOKafkaAdminClient

from tests.clients import GraphQLClient
from tests.integration.auth import (  # noqa: F401 (a fixture)
    auth_settings,
    create_topic,
    end_offsets,
    key_files_fixture,
)
from tests.integration.conftest import RunningGateway, run_gateway
from tests.integration.helpers import PRODUCE, history
from tests.tokens import (
    HS_SECRET,
    HS_SECRET_ENV,
    claims,
    ec_pair,
    rsa_pair,
)

RSA, EC = rsa_pair(), ec_pair()
TOPICS = "{ topics { name } }"
INVALID = 'Bearer error="invalid_token"'


@pytest_asyncio.fixture(scope="module")
async def gateway(bootstrap: str, key_files: tuple[Path, Path]) -> AsyncIterator[RunningGateway]:
    pem, jwks = key_files
    settings = auth_settings(
        bootstrap,
        pem,
        {
            "algorithms": ["RS256", "ES256", "HS256"],
            "jwks_file": str(jwks),
            "hs_secret_env": HS_SECRET_ENV,
            "leeway_s": 5,
        },
        environ={HS_SECRET_ENV: HS_SECRET},
    )
    async with run_gateway(settings) as running:
        yield running


@pytest.fixture
def anonymous(gateway: RunningGateway, http: aiohttp.ClientSession) -> GraphQLClient:
    return GraphQLClient(http, gateway.url)


def now() -> int:
    return int(time.time())


async def test_a_refused_request_runs_nothing(
    anonymous: GraphQLClient, admin: AIOKafkaAdminClient, bootstrap: str
) -> None:
    topic = f"test-{uuid.uuid4().hex[:12]}"
    await create_topic(admin, topic)
    variables = {"topic": topic, "value": {"n": 1}}
    expired = anonymous.with_token(RSA.sign(claims(exp=now() - 60)))
    assert (await expired.raw(PRODUCE, variables)).status == 401
    assert (await anonymous.raw(PRODUCE, variables)).status == 401
    assert await end_offsets(bootstrap, topic) == {0: 0}
    # The same write with a valid token does reach Kafka.
    assert (await anonymous.with_token(RSA.sign(claims())).raw(PRODUCE, variables)).status == 200
    assert await end_offsets(bootstrap, topic) == {0: 1}


@pytest_asyncio.fixture(scope="module")
async def open_reads(bootstrap: str, key_files: tuple[Path, Path]) -> AsyncIterator[RunningGateway]:
    settings = auth_settings(
        bootstrap,
        key_files[0],
        {"required": False, "anonymous_scopes": ["kafka:read:test-public-*"]},
    )
    async with run_gateway(settings) as running:
        yield running


async def test_anonymous_callers_get_the_anonymous_scopes(
    open_reads: RunningGateway,
    http: aiohttp.ClientSession,
    admin: AIOKafkaAdminClient,
    bootstrap: str,
) -> None:
    public, private = (f"test-{kind}-{uuid.uuid4().hex[:12]}" for kind in ("public", "private"))
    for name in (public, private):
        await create_topic(admin, name)
    anonymous = GraphQLClient(http, open_reads.url)
    writer = anonymous.with_token(RSA.sign(claims(scope="kafka:write:test-*")))
    for name in (public, private):
        await writer.data(PRODUCE, {"topic": name, "value": {"at": name}})
    assert [m["value"] for m in (await history(anonymous, public))["messages"]] == [{"at": public}]
    assert await anonymous.error_codes(
        "query($t: String!) { messages(topic: $t) { hasMore } }", {"t": private}
    ) == ["NOT_FOUND"]
    assert await anonymous.error_codes(PRODUCE, {"topic": public, "value": 1}) == ["FORBIDDEN"]
    # A token that was sent must verify, even where anonymous callers are let in.
    response = await anonymous.with_token(RSA.sign(claims(aud="other"))).raw(TOPICS)
    assert (response.status, response.headers["WWW-Authenticate"]) == (401, INVALID)
