"""WebSocket heartbeats (`server.websocket_heartbeat_s`) against a client that stops at the TCP
level: a raw socket that completes the handshake, subscribes, and then never reads again nor
answers a ping (its kernel still acknowledges, as a frozen app's would). The server closes it
with 1011 within two periods of its last message, and everything it held is released: its
connection and subscription slots, its stream and its place in the topic's feed. A client that
answers pings (aiohttp's, as any WebSocket library does) stays."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import struct
import time

import aiohttp
import pytest

from kafka_graphql.core.auth.principal import Principal
from kafka_graphql.core.telemetry import Telemetry
from kafka_graphql.http.state import LIMITS
from kafka_graphql.http.ws_heartbeat import NO_PONG
from tests.clients import LEGACY_WS, TRANSPORT_WS
from tests.integration.conftest import RunningGateway, TopicFactory, gateway_settings, run_gateway
from tests.integration.helpers import SUBSCRIBE

HEARTBEAT_S = 1.0
# Scheduling on a busy machine: the close may come this much later than two periods.
SLACK_S = 0.5


class Closed(Telemetry):
    def __init__(self) -> None:
        self.codes: asyncio.Queue[tuple[int | None, float]] = asyncio.Queue()

    def connection_closed(
        self, transport: str, principal: str, close_code: int | None, duration_s: float
    ) -> None:
        self.codes.put_nowait((close_code, time.monotonic()))


def frame(message: dict[str, object]) -> bytes:
    """A masked text frame, as a client sends it (RFC 6455 5.2)."""
    payload = json.dumps(message).encode()
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    assert len(payload) < 65536
    length = (
        struct.pack("!BH", 0xFE, len(payload))
        if len(payload) > 125
        else bytes([0x80 | len(payload)])
    )
    return b"\x81" + length + mask + masked


async def frozen_client(url: str, protocol: str, topic: str) -> asyncio.StreamWriter:
    """A socket that subscribes to `topic` and then takes nothing more."""
    host, port = url.removeprefix("http://").split("/")[0].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET /graphql HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Protocol: {protocol}\r\n\r\n"
        ).encode()
    )
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head
    start = "subscribe" if protocol == TRANSPORT_WS else "start"
    payload = {"query": SUBSCRIBE, "variables": {"topic": topic}}
    writer.write(frame({"type": "connection_init", "payload": {}}))
    writer.write(frame({"id": "1", "type": start, "payload": payload}))
    await writer.drain()
    return writer


async def read_all(ws: aiohttp.ClientWebSocketResponse) -> None:
    async for _ in ws:
        pass


async def joined(gateway: RunningGateway, topic: str, count: int) -> None:
    live = gateway.kafka.live
    await asyncio.wait_for(live.wait_until(lambda: live.subscriber_count(topic) == count), 30)


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_a_client_that_stops_answering_is_closed_and_released(
    bootstrap: str, http: aiohttp.ClientSession, new_topic: TopicFactory, protocol: str
) -> None:
    topic = await new_topic()
    base = gateway_settings(bootstrap)
    server = base.server.model_copy(update={"websocket_heartbeat_s": HEARTBEAT_S})
    telemetry = Closed()
    settings = base.model_copy(update={"server": server})
    async with (
        run_gateway(settings, telemetry=telemetry) as gateway,
        # A client that answers pings, beside: it outlives the frozen one.
        http.ws_connect(gateway.url, protocols=[protocol]) as alive,
    ):
        await alive.send_json({"type": "connection_init", "payload": {}})
        assert (await alive.receive_json())["type"] == "connection_ack"
        # Reading, as a live app does: aiohttp's client answers pings as it reads.
        reading = asyncio.create_task(read_all(alive))
        writer = await frozen_client(gateway.url, protocol, topic)
        try:
            await joined(gateway, topic, 1)
            last_message = time.monotonic()
            code, at = await asyncio.wait_for(telemetry.codes.get(), 10 * HEARTBEAT_S)
            assert code == NO_PONG
            assert at - last_message <= 2 * HEARTBEAT_S + SLACK_S
            await joined(gateway, topic, 0)
            state = gateway.app[LIMITS].state(Principal.anonymous("127.0.0.1").id)
            # The live client's connection only.
            assert (state.connections, state.subscriptions) == (1, 0)
        finally:
            writer.transport.abort()
        assert not alive.closed and not reading.done()
        reading.cancel()
