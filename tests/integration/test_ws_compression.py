"""`server.websocket_compression`: read on the wire with a WebSocket client of our own that offers
permessage-deflate the way browsers do, and reports each frame's RSV1 bit (set: compressed)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import struct
import zlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiokafka import AIOKafkaProducer

from kafka_graphql.settings import settings_from_mapping
from tests.integration.conftest import TopicFactory, run_gateway


@dataclass(frozen=True)
class Frame:
    compressed: bool
    text: str


class RawWebSocket:
    """Just enough of RFC 6455 and RFC 7692 (client side) to see what the server sends."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.extensions = ""
        # Context takeover: one inflater for the whole connection.
        self.inflater = zlib.decompressobj(-zlib.MAX_WBITS)

    @classmethod
    async def connect(cls, url: str) -> RawWebSocket:
        parts = urlsplit(url)
        assert parts.hostname is not None and parts.port is not None
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n"
                "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
            ).encode()
        )
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        assert head.startswith("HTTP/1.1 101"), head
        socket = cls(reader, writer)
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.lower() == "sec-websocket-extensions":
                socket.extensions = value.strip()
        return socket

    async def send(self, message: dict[str, Any]) -> None:
        payload = json.dumps(message).encode()
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        assert len(payload) < 65536
        self.writer.write(
            bytes([0x81, 0x80 | 126]) + struct.pack("!H", len(payload)) + mask + masked
        )
        await self.writer.drain()

    async def receive(self) -> Frame:
        first, second = await self.reader.readexactly(2)
        assert first & 0x80 and first & 0x0F == 0x1, hex(first)  # one whole text frame
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", await self.reader.readexactly(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", await self.reader.readexactly(8))
        payload = await self.reader.readexactly(length)
        compressed = bool(first & 0x40)
        if compressed:
            payload = self.inflater.decompress(payload + b"\x00\x00\xff\xff")
        return Frame(compressed, payload.decode())

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


SUBSCRIBE = "subscription($t: String!) { messages(topic: $t) { offset value } }"


@pytest.mark.parametrize(
    ("mode", "min_bytes", "negotiated", "small_compressed"),
    [("off", 1024, False, False), ("on", 1024, True, False), ("on", 0, True, True)],
)
async def test_compression_follows_the_setting(
    bootstrap: str,
    new_topic: TopicFactory,
    raw_producer: AIOKafkaProducer,
    mode: str,
    min_bytes: int,
    negotiated: bool,
    small_compressed: bool,
) -> None:
    topic = await new_topic()
    settings = settings_from_mapping(
        {
            "kafka": {"bootstrap_servers": bootstrap, "metadata_max_age_s": 0},
            "server": {
                "websocket_compression": mode,
                "websocket_compression_min_bytes": min_bytes,
            },
            "topics": [{"name": "test-*"}],
        }
    )
    small, large = "s", "L" * 4000
    async with run_gateway(settings) as gateway:
        socket = await RawWebSocket.connect(gateway.url)
        try:
            assert ("permessage-deflate" in socket.extensions) is negotiated
            await socket.send({"type": "connection_init"})
            assert json.loads((await socket.receive()).text) == {"type": "connection_ack"}
            payload = {"query": SUBSCRIBE, "variables": {"t": topic}}
            await socket.send({"id": "1", "type": "subscribe", "payload": payload})
            # Subscribed from "now": produce once the subscription is live.
            live = gateway.kafka.live
            await asyncio.wait_for(live.wait_until(lambda: live.subscriber_count(topic) >= 1), 30)
            await raw_producer.send_and_wait(topic, json.dumps(small).encode())
            await raw_producer.send_and_wait(topic, json.dumps(large).encode())
            frames = [await socket.receive(), await socket.receive()]
        finally:
            await socket.close()
    values = [json.loads(f.text)["payload"]["data"]["messages"]["value"] for f in frames]
    assert values == [small, large]
    assert [f.compressed for f in frames] == [small_compressed, negotiated]
