"""Memory is bounded in bytes, per caller and per process (issue 14, point 9;
docs/limits.md#memory-held-per-caller), against a real gateway and a real broker, on both
subprotocols, each time with another caller (alice) that keeps receiving everything:

- a caller whose conflating streams would keep more than `limits.max_pending_bytes` waiting has
  a stream closed with RATE_LIMITED and its cursor;
- a caller that does not read its sockets holds at most its frames' bound; beyond
  `limits.max_buffered_bytes` new subscriptions are refused with LIMIT_EXCEEDED and the caller
  holding the most is cut back: its streams end with RATE_LIMITED and the cursor that resumes
  them with no gap, once it reads again;
- a message larger than `limits.max_frame_bytes` (aliases multiply a value) is never built: its
  stream ends with LIMIT_EXCEEDED and its cursor;
- a shared group's payload cache holds at most its bytes, and a group of one holds none.

The bound on a whole process's RSS with one caller driven to its worst case is
test_hostile_memory_rss.py."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiokafka import AIOKafkaProducer

from kafka_graphql.server import LIMITS, VIEW
from kafka_graphql.settings import Settings
from tests.clients import LEGACY_WS, TRANSPORT_WS, GraphQLClient
from tests.clock import FakeClock
from tests.integration.auth import auth_settings, key_files_fixture  # noqa: F401 (a fixture)
from tests.integration.conftest import RunningGateway, TopicFactory, run_gateway
from tests.integration.helpers import poll_until
from tests.tokens import claims, rsa_pair

RSA = rsa_pair()
PROTOCOLS = pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
KIB = 1024
STREAM = """
subscription($t: String!, $after: Cursor) {
  messages(topic: $t, after: $after) { offset key value cursor skipped }
}"""
OFFSETS = """
subscription($t: String!, $after: Cursor) { messages(topic: $t, after: $after) { offset } }"""


def token(subject: str) -> str:
    return RSA.sign(claims(sub=subject, scope="kafka:read:test-* kafka:write:test-*"))


def settings(key_files: tuple[Path, Path], bootstrap: str, **limits: Any) -> Settings:
    base = auth_settings(bootstrap, key_files[0])
    values = {
        "cost_budget": 100_000,
        "cost_refill_per_s": 10_000,
        # These tests are about memory: the delivery budget lets everything through.
        "delivery_messages_per_s": 100_000,
        "delivery_bytes_per_s": 1 << 30,
        **limits,
    }
    from kafka_graphql.limits.settings import LimitsSettings, validate_limits

    checked = LimitsSettings(**values)
    validate_limits(checked)
    import dataclasses

    return dataclasses.replace(base, limits=checked)


async def live(running: RunningGateway, topic: str, count: int) -> None:
    hub = running.kafka.live
    await asyncio.wait_for(hub.wait_until(lambda: hub.subscriber_count(topic) == count), 30)


async def write(
    producer: AIOKafkaProducer, topic: str, values: list[Any], keys: bool = True
) -> None:
    """Written by another Kafka producer (no produce limits in the way)."""
    for i, value in enumerate(values):
        key = f"k{i}".encode() if keys else None
        await producer.send(topic, json.dumps(value).encode(), key=key)
    await producer.flush()


def codes(event: dict[str, Any]) -> list[str]:
    payload = event["payload"]
    errors = payload if isinstance(payload, list) else payload.get("errors") or [payload]
    return [e["extensions"]["code"] for e in errors]


class Raw:
    """A socket of subscriptions read by hand; it can stop reading altogether (a 4 KB receive
    buffer and its transport paused: the server's frames pile up on the server's side)."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, protocol: str) -> None:
        self.ws = ws
        self.protocol = protocol

    async def subscribe(self, sub_id: str, query: str, variables: dict[str, Any]) -> None:
        kind = "subscribe" if self.protocol == TRANSPORT_WS else "start"
        payload = {"query": query, "variables": variables}
        await self.ws.send_json({"id": sub_id, "type": kind, "payload": payload})

    def stop_reading(self) -> None:
        assert self.ws._conn is not None and self.ws._conn.transport is not None
        self.ws._conn.transport.pause_reading()

    def read_again(self) -> None:
        assert self.ws._conn is not None and self.ws._conn.transport is not None
        self.ws._conn.transport.resume_reading()

    async def until_ended(self, ids: set[str]) -> dict[str, tuple[list[int], dict[str, Any]]]:
        """Per subscription: the offsets it delivered, and the error that ended it."""
        received: dict[str, list[int]] = {i: [] for i in ids}
        errors: dict[str, dict[str, Any]] = {}
        while len(errors) < len(ids) or any(i not in errors for i in ids):
            message = await self.ws.receive(timeout=60)
            assert message.type == aiohttp.WSMsgType.TEXT, message
            body = json.loads(message.data)
            if body["type"] in ("ka", "ping", "pong", "complete"):
                continue
            payload = body["payload"]
            if body["type"] == "error" or payload.get("errors"):
                (error,) = payload if isinstance(payload, list) else payload["errors"]
                errors[body["id"]] = error
            else:
                received[body["id"]].append(payload["data"]["messages"]["offset"])
        return {i: (received[i], errors[i]) for i in ids}


def _small_buffer(addr_info: Any) -> socket.socket:
    family, kind, proto, _, _ = addr_info
    sock = socket.socket(family=family, type=kind, proto=proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    return sock


@asynccontextmanager
async def raw_socket(url: str, protocol: str, bearer: str) -> AsyncIterator[Raw]:
    connector = aiohttp.TCPConnector(limit=0, socket_factory=_small_buffer)
    async with aiohttp.ClientSession(connector=connector) as session:
        ws = await session.ws_connect(url, protocols=[protocol], max_msg_size=0)
        try:
            await ws.send_json(
                {"type": "connection_init", "payload": {"Authorization": f"Bearer {bearer}"}}
            )
            ack = await ws.receive_json(timeout=30)
            assert ack["type"] == "connection_ack", ack
            yield Raw(ws, protocol)
        finally:
            await ws.close()


@PROTOCOLS
async def test_conflation_keeps_at_most_max_pending_bytes_per_caller(
    bootstrap: str,
    http: aiohttp.ClientSession,
    new_topic: TopicFactory,
    raw_producer: AIOKafkaProducer,
    key_files: tuple[Path, Path],
    protocol: str,
) -> None:
    topic = await new_topic()
    # Each caller may receive 40 messages (the clock does not move): alice's one stream gets
    # all 30 records; mallory's ten streams want 300 and conflate, with 30 distinct keys each.
    config = settings(
        key_files,
        bootstrap,
        delivery_messages_per_s=40,
        max_pending_bytes=256 * KIB,
        max_buffered_bytes_per_principal=256 * KIB,
    )
    async with run_gateway(config, limits_clock=FakeClock()) as running:
        alice = GraphQLClient(http, running.url, token("alice"))
        mallory = GraphQLClient(http, running.url, token("mallory"))
        streams = [mallory.subscribe(STREAM, {"t": topic}, protocol) for _ in range(10)]
        async with alice.subscribe(STREAM, {"t": topic}, protocol) as watcher:
            opened = [await s.__aenter__() for s in streams]
            try:
                await live(running, topic, 11)
                await write(raw_producer, topic, [{"text": "x" * 8000, "n": i} for i in range(30)])
                seen = await watcher.take(30)
                assert [m["offset"] for m in seen] == list(range(30))
                assert all(m["skipped"] == 0 for m in seen)
                holdings = running.app[LIMITS].holdings("mallory")
                closed = 0
                for stream in opened:
                    while True:
                        event = await stream.next_event()
                        if event["type"] == "complete":
                            break
                        if (
                            codes(event) == ["RATE_LIMITED"]
                            if "errors" in event["payload"]
                            else False
                        ):
                            error = event["payload"]["errors"][0]
                            assert "limits.max_pending_bytes" in error["message"]
                            assert error["extensions"]["cursor"]
                            closed += 1
                            continue
                        if event["payload"].get("data") and holdings.pending == 0:
                            pass
                        if stream is opened[-1] and closed:
                            break
                    if closed:
                        break
                assert closed >= 1
                assert holdings.pending <= 256 * KIB + 64 * KIB
            finally:
                for s in streams:
                    await s.__aexit__(None, None, None)
