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
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiokafka import AIOKafkaProducer

from kafka_graphql.graphql.view import VIEW
from kafka_graphql.http.state import CURSORS, LIMITS
from kafka_graphql.settings import Settings
from kafka_graphql.settings.limits import LimitsSettings, validate_limits
from tests.clients import LEGACY_WS, TRANSPORT_WS, GraphQLClient, Subscription
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
    values = {
        "cost_budget": 100_000,
        "cost_refill_per_s": 10_000,
        # These tests are about memory: the delivery budget lets everything through.
        "delivery_messages_per_s": 100_000,
        "delivery_bytes_per_s": 1 << 30,
        **limits,
    }
    checked = LimitsSettings(**values)
    validate_limits(checked)
    return auth_settings(bootstrap, key_files[0]).model_copy(update={"limits": checked})


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


async def first_error(stream: Subscription) -> dict[str, Any] | None:
    """The error that ends `stream` (None if it completes without one)."""
    while True:
        event = await stream.next_event()
        if event["type"] == "complete":
            return None
        payload = event["payload"]
        if event["type"] == "error":  # refused before it started (legacy: one error, no list)
            errors = payload if isinstance(payload, list) else [payload]
        else:
            errors = payload.get("errors")
        if errors:
            error: dict[str, Any] = errors[0]
            return error


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
    # all 30 records; mallory's ten streams want 300 and conflate, 30 keys each, ~17 KB a
    # message: more than 256 KiB would wait.
    pending = 256 * KIB
    config = settings(
        key_files,
        bootstrap,
        delivery_messages_per_s=40,
        max_pending_bytes=pending,
        max_buffered_bytes_per_principal=pending,
    )
    async with run_gateway(config, limits_clock=FakeClock()) as running, AsyncExitStack() as stack:
        alice = GraphQLClient(http, running.url, token("alice"))
        mallory = GraphQLClient(http, running.url, token("mallory"))
        watcher = await stack.enter_async_context(alice.subscribe(STREAM, {"t": topic}, protocol))
        streams = [
            await stack.enter_async_context(mallory.subscribe(STREAM, {"t": topic}, protocol))
            for _ in range(10)
        ]
        await live(running, topic, 11)
        await write(raw_producer, topic, [{"text": "x" * 8000, "n": i} for i in range(30)])
        ends = [asyncio.ensure_future(first_error(s)) for s in streams]
        try:
            seen = await watcher.take(30)
            assert [m["offset"] for m in seen] == list(range(30))
            assert all(m["skipped"] == 0 for m in seen)
            done, _ = await asyncio.wait(ends, return_when=asyncio.FIRST_COMPLETED, timeout=60)
            assert done, "no stream of mallory's was closed"
            for end in done:
                error = end.result()
                assert error is not None
                assert error["extensions"]["code"] == "RATE_LIMITED"
                assert "limits.max_pending_bytes" in error["message"]
                cursor = running.app[CURSORS].open(error["extensions"]["cursor"], topic)
                assert 0 <= cursor[0] < 30
            holdings = running.app[LIMITS].holdings("mallory")
            assert holdings.pending <= pending
            assert running.app[LIMITS].holdings("alice").pending == 0
        finally:
            for end in ends:
                end.cancel()


VALUE = """
subscription($t: String!, $after: Cursor) {
  messages(topic: $t, after: $after) { offset value }
}"""
# Six copies of the value: a 350 KB record makes a 2.1 MB frame, counted three times (the
# text, its bytes, the socket's buffer): one frame stuck on a socket is more than 4.5 MiB.
HEAVY = (
    "subscription($t: String!) { messages(topic: $t) { offset "
    + " ".join(f"v{i}: value" for i in range(6))
    + " } }"
)
WRITTEN = 16


@PROTOCOLS
async def test_a_caller_that_does_not_read_is_bounded_then_cut_back_first(
    bootstrap: str,
    http: aiohttp.ClientSession,
    new_topic: TopicFactory,
    raw_producer: AIOKafkaProducer,
    key_files: tuple[Path, Path],
    protocol: str,
) -> None:
    topic = await new_topic()
    # Above what a catch-up holds (its reader's reservation, 2 MiB, and a fetch of ~2 MB), so
    # that mallory can resume afterwards; below one frame of hers stuck on her socket.
    bound = 4608 * KIB
    config = settings(
        key_files,
        bootstrap,
        max_pending_bytes=bound,
        max_buffered_bytes_per_principal=bound,
        max_buffered_bytes=bound,
    )
    # More than the kernel's socket buffers take (up to net.ipv4.tcp_wmem's 4 MB): the rest
    # waits in the gateway.
    values = [{"text": "x" * 350_000, "n": i} for i in range(WRITTEN)]
    async with run_gateway(config) as running, AsyncExitStack() as stack:
        limits = running.app[LIMITS]
        alice = GraphQLClient(http, running.url, token("alice"))
        watcher = await stack.enter_async_context(alice.subscribe(OFFSETS, {"t": topic}, protocol))
        mallory = await stack.enter_async_context(
            raw_socket(running.url, protocol, token("mallory"))
        )
        ids = {"a", "b"}
        for sub_id in sorted(ids):
            await mallory.subscribe(sub_id, HEAVY, {"t": topic})
        await live(running, topic, 3)
        mallory.stop_reading()
        for value in values[:-3]:
            await write(raw_producer, topic, [value], keys=False)
        assert [m["offset"] for m in await watcher.take(WRITTEN - 3)] == list(range(WRITTEN - 3))
        held = limits.holdings("mallory")

        async def cut_back() -> bool:
            return limits.memory.over() and held.cutting

        # A frame of mallory's waits for her socket: beyond the process's bound she, who holds
        # the most, is cut back; that frame, written already and beyond any cut back's reach,
        # keeps the process beyond the bound until she reads.
        await poll_until(cut_back, 30, 0.01)
        assert held.frames <= bound + 3 * 2_200_000 * len(ids)
        refused = await stack.enter_async_context(alice.subscribe(OFFSETS, {"t": topic}, protocol))
        error = await first_error(refused)
        assert error is not None and error["extensions"]["code"] == "LIMIT_EXCEEDED"
        assert "limits.max_buffered_bytes" in error["message"]
        # Alice goes on receiving.
        for value in values[-3:]:
            await write(raw_producer, topic, [value], keys=False)
        assert [m["offset"] for m in await watcher.take(3)] == list(range(WRITTEN - 3, WRITTEN))
        # Mallory reads again: what was written to her arrives, then each stream's end, with
        # the cursor that resumes it.
        mallory.read_again()
        ended = await mallory.until_ended(ids)
        for delivered, end in ended.values():
            assert end["extensions"]["code"] == "RATE_LIMITED", end
            assert "limits.max_buffered_bytes" in end["message"]
            assert delivered == list(range(len(delivered)))
        assert not limits.memory.over()
        # The process is below its bound again: subscriptions are taken, and mallory resumes
        # each stream with no gap.
        for delivered, end in ended.values():
            after = {"t": topic, "after": end["extensions"]["cursor"]}
            async with mallory_client(http, running).subscribe(OFFSETS, after, protocol) as s:
                rest = await s.take(WRITTEN - len(delivered))
            assert delivered + [m["offset"] for m in rest] == list(range(WRITTEN))


def mallory_client(http: aiohttp.ClientSession, running: RunningGateway) -> GraphQLClient:
    return GraphQLClient(http, running.url, token("mallory"))


ALIASED = (
    "subscription($t: String!) { messages(topic: $t) { offset "
    + " ".join(f"v{i}: value" for i in range(8))
    + " } }"
)


@PROTOCOLS
async def test_a_message_larger_than_max_frame_bytes_is_never_built(
    bootstrap: str,
    http: aiohttp.ClientSession,
    new_topic: TopicFactory,
    raw_producer: AIOKafkaProducer,
    key_files: tuple[Path, Path],
    protocol: str,
) -> None:
    topic = await new_topic()
    async with run_gateway(settings(key_files, bootstrap)) as running, AsyncExitStack() as stack:
        alice = GraphQLClient(http, running.url, token("alice"))
        mallory = GraphQLClient(http, running.url, token("mallory"))
        watcher = await stack.enter_async_context(alice.subscribe(STREAM, {"t": topic}, protocol))
        # Eight copies of a 600 KB value: ~4.8 MB, beyond the default 4 MiB.
        aliased = await stack.enter_async_context(
            mallory.subscribe(ALIASED, {"t": topic}, protocol)
        )
        await live(running, topic, 2)
        await write(raw_producer, topic, [{"text": "x" * 600_000}, {"n": 1}])
        assert [m["offset"] for m in await watcher.take(2)] == [0, 1]
        error = await first_error(aliased)
        assert error is not None and error["extensions"]["code"] == "LIMIT_EXCEEDED"
        assert "limits.max_frame_bytes" in error["message"]
        # The cursor resumes at that message: with a smaller selection, it arrives.
        after = {"t": topic, "after": error["extensions"]["cursor"]}
        async with mallory.subscribe(STREAM, after, protocol) as resumed:
            assert [m["offset"] for m in await resumed.take(2)] == [0, 1]


@PROTOCOLS
async def test_a_shared_groups_cache_is_bounded_in_bytes_and_a_group_of_one_keeps_none(
    bootstrap: str,
    http: aiohttp.ClientSession,
    new_topic: TopicFactory,
    raw_producer: AIOKafkaProducer,
    key_files: tuple[Path, Path],
    protocol: str,
) -> None:
    topic = await new_topic()
    config = settings(key_files, bootstrap, shared_cache_bytes_per_member=64 * KIB)
    async with run_gateway(config) as running, AsyncExitStack() as stack:
        groups = running.app[VIEW].shared_groups
        assert groups is not None
        alice = GraphQLClient(http, running.url, token("alice"))
        alone = await stack.enter_async_context(alice.subscribe(VALUE, {"t": topic}, protocol))
        pair = [
            await stack.enter_async_context(alice.subscribe(OFFSETS, {"t": topic}, protocol))
            for _ in range(2)
        ]
        await live(running, topic, 3)
        await write(raw_producer, topic, [{"text": "x" * 20_000, "n": i} for i in range(20)])
        assert len(await alone.take(20)) == 20
        for member in pair:
            assert [m["offset"] for m in await member.take(20)] == list(range(20))
        cached = {g.members: g.cached_bytes for g in groups._groups.values()}
        assert cached[1] == 0  # the group of one (`value`): nothing kept
        assert 0 < cached[2] <= 64 * KIB  # two members: one member's worth
        assert running.app[LIMITS].memory.total >= cached[2]
