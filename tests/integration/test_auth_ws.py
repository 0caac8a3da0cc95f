"""Authentication over WebSocket, on the real gateway over the real broker: the token in each
`connection_init` shape on both subprotocols, and a token expiring under a live stream that a
fresh token resumes by cursor with no gap and no duplicate (every refusal with its close code:
tests/unit/transport/test_auth_ws.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer

from tests.clients import LEGACY_WS, TRANSPORT_WS, GraphQLClient, SocketClosed, Subscription
from tests.integration.auth import auth_settings, key_files_fixture  # noqa: F401 (a fixture)
from tests.integration.conftest import RunningGateway, TopicFactory, run_gateway
from tests.integration.helpers import SUBSCRIBE, produce
from tests.tokens import claims, rsa_pair

RSA = rsa_pair()
PROTOCOLS = [TRANSPORT_WS, LEGACY_WS]
READER = "kafka:read:test-*"


@pytest_asyncio.fixture(scope="module")
async def gateway(bootstrap: str, key_files: tuple[Path, Path]) -> AsyncIterator[RunningGateway]:
    async with run_gateway(auth_settings(bootstrap, key_files[0])) as running:
        yield running


@pytest.fixture
def anonymous(gateway: RunningGateway, http: aiohttp.ClientSession) -> GraphQLClient:
    return GraphQLClient(http, gateway.url)


def token(ttl_s: int = 300, scope: str = READER) -> str:
    return RSA.sign(claims(ttl_s=ttl_s, scope=scope))


SHAPES: dict[str, Callable[[str], dict[str, Any]]] = {
    "Authorization": lambda t: {"Authorization": f"Bearer {t}"},
    "authorization": lambda t: {"authorization": f"Bearer {t}"},
    "authToken": lambda t: {"authToken": t},
    "headers.Authorization": lambda t: {"headers": {"Authorization": f"Bearer {t}"}},
}


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("shape", list(SHAPES))
async def test_each_connection_init_shape(
    anonymous: GraphQLClient,
    new_topic: TopicFactory,
    raw_producer: AIOKafkaProducer,
    protocol: str,
    shape: str,
) -> None:
    topic = await new_topic()
    await raw_producer.send_and_wait(topic, b'{"hello": "world"}')
    payload = SHAPES[shape](token())
    async with anonymous.subscribe(
        SUBSCRIBE, {"topic": topic, "fromOffset": 0}, protocol, init_payload=payload
    ) as stream:
        # The principal carries the token's scopes: the topic is readable.
        assert (await stream.next_message())["value"] == {"hello": "world"}


async def read_until_closed(stream: Subscription, into: list[dict[str, Any]]) -> SocketClosed:
    while True:
        try:
            into.append(await stream.next_message())
        except SocketClosed as closed:
            return closed


def expiry_of(token: str) -> int:
    expires: int = jwt.decode(token, options={"verify_signature": False})["exp"]
    return expires


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_expiry_mid_stream_then_resume_by_cursor(
    anonymous: GraphQLClient, new_topic: TopicFactory, protocol: str
) -> None:
    """A producer writes all along. The stream's token expires: the server closes the socket
    with 4403 within a second. The client reconnects with a fresh token and its last cursor,
    and between the two connections it gets every message exactly once."""
    topic = await new_topic(partitions=2)
    writer = anonymous.with_token(token(scope="kafka:write:test-*"))
    produced: list[tuple[int, int]] = []
    written = asyncio.Condition()
    stop = asyncio.Event()

    async def keep_producing() -> None:
        n = 0
        while not stop.is_set():
            at = await produce(writer, topic, {"n": n}, key=f"k{n}")
            async with written:
                produced.append((at["partition"], at["offset"]))
                written.notify_all()
            n += 1
            await asyncio.sleep(0.02)  # a steady stream of writes, not a synchronisation

    async def produced_more_than(count: int) -> None:
        async with written:
            await written.wait_for(lambda: len(produced) > count)

    producer = asyncio.create_task(keep_producing())
    try:
        short = token(ttl_s=3)
        expires = expiry_of(short)
        first: list[dict[str, Any]] = []
        async with anonymous.with_token(short).subscribe(
            SUBSCRIBE, {"topic": topic, "fromOffset": 0}, protocol
        ) as stream:
            closed = await read_until_closed(stream, first)
            closed_at = time.time()
        assert closed.code == 4403
        assert closed.reason == "Forbidden: the token has expired"
        assert expires - 0.05 <= closed_at < expires + 1
        assert first, "the stream delivered nothing before the token expired"
        # Writes go on while the client is away.
        await asyncio.wait_for(produced_more_than(len(produced) + 5), timeout=30)

        second: list[dict[str, Any]] = []
        async with anonymous.with_token(token()).subscribe(
            SUBSCRIBE, {"topic": topic, "after": first[-1]["cursor"]}, protocol
        ) as stream:
            # And on while the new stream runs, until it has delivered some of them live.
            resumed_at = len(produced)
            while len(second) < resumed_at - len(first) + 10:
                second.append(await stream.next_message())
            stop.set()
            await producer
            while len(first) + len(second) < len(produced):
                second.append(await stream.next_message())
    finally:
        stop.set()
        await producer
    delivered = [(m["partition"], m["offset"]) for m in first + second]
    assert len(delivered) == len(set(delivered)), "a message came twice"
    assert sorted(delivered) == sorted(produced), "a message is missing"
