"""Authentication over WebSocket, refused before any Kafka call: every refusal of
`connection_init` with its close code on both subprotocols, and no expiry timer left behind
(over the stand-in for Kafka; the token in each shape, and a token expiring under a live stream:
tests/integration/test_auth_ws.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from tests.clients import LEGACY_WS, TRANSPORT_WS, GraphQLClient
from tests.gateways import RunningGateway
from tests.integration.auth import auth_settings, key_files_fixture  # noqa: F401 (a fixture)
from tests.integration.helpers import poll_until
from tests.kafka_stand_in import NotReached
from tests.tokens import claims, rsa_pair, unsigned
from tests.unit.transport.serving import NO_BROKER, serve

RSA = rsa_pair()
PROTOCOLS = [TRANSPORT_WS, LEGACY_WS]
READER = "kafka:read:test-*"


@pytest_asyncio.fixture(scope="module")
async def gateway(key_files: tuple[Path, Path], kafka: NotReached) -> AsyncIterator[RunningGateway]:
    async with serve(auth_settings(NO_BROKER, key_files[0]), kafka) as running:
        yield running


@pytest.fixture
def anonymous(gateway: RunningGateway, http: aiohttp.ClientSession) -> GraphQLClient:
    return GraphQLClient(http, gateway.url)


def token(ttl_s: int = 300, scope: str = READER) -> str:
    return RSA.sign(claims(ttl_s=ttl_s, scope=scope))


# Payloads made when a test runs, not at import: a token made at collection may have expired
# (claims live 300 s) by the time a long run reaches it, and be refused for that instead.
REFUSALS: dict[str, tuple[Callable[[], dict[str, Any] | None], str]] = {
    "no token": (lambda: {}, "authentication is required: send a bearer token"),
    "no payload": (lambda: None, "authentication is required: send a bearer token"),
    "expired": (
        lambda: {"Authorization": f"Bearer {RSA.sign(claims(exp=int(time.time()) - 60))}"},
        "the token has expired",
    ),
    "alg none": (
        lambda: {"authToken": unsigned(claims())},
        "the token's algorithm is not accepted",
    ),
    "wrong audience": (
        lambda: {"headers": {"Authorization": RSA.sign(claims(aud="other"))}},
        "the token's audience is not accepted",
    ),
    "not a string": (
        lambda: {"Authorization": 42},
        "the token in connection_init must be a string",
    ),
}


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("case", list(REFUSALS))
async def test_refusals(anonymous: GraphQLClient, protocol: str, case: str) -> None:
    make, message = REFUSALS[case]
    received, closed = await anonymous.connection_init(make(), protocol)
    assert closed is not None
    assert closed.code == 4403
    assert closed.reason == f"Forbidden: {message}"
    if protocol == TRANSPORT_WS:
        assert received == []
    else:
        assert received == [
            {
                "type": "connection_error",
                "payload": {"message": message, "extensions": {"code": "UNAUTHENTICATED"}},
            }
        ]


async def test_a_connection_that_ends_first_leaves_no_timer(anonymous: GraphQLClient) -> None:
    def timers() -> list[asyncio.Task[Any]]:
        return [t for t in asyncio.all_tasks() if "ExpiryTimer._run" in repr(t.get_coro())]

    before = len(timers())
    received, closed = await anonymous.connection_init({"authToken": token()})
    assert closed is None and received == [{"type": "connection_ack"}]

    async def timer_gone() -> bool:
        return len(timers()) <= before

    # The server notices the client's close on its own time; there is no event to wait for.
    await poll_until(timer_gone, timeout_s=10, interval_s=0.02)
