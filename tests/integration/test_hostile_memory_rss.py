"""One caller driven to its memory worst case cannot grow the gateway beyond the bound
docs/limits.md states (issue 14, point 9; docs/limits.md#memory-held-per-caller).

The gateway runs as `kafka-graphql serve` in a process of its own, so that its RSS is its own,
with every memory limit at its default. Mallory, one caller with an ordinary token, opens the
most a caller may: 20 sockets of 10 subscriptions each, spread over four topics, each selecting
up to three copies of the value under aliases (pairs of equal selections: shared groups of two,
with payload caches), and stops reading 15 of her sockets; another producer then writes 300 KB
values under many keys, more than her delivery budget lets through (her streams conflate).
Alice, another caller, reads one of the topics throughout and must receive every record."""

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

from tests.clients import TRANSPORT_WS, GraphQLClient
from tests.integration.auth import key_files_fixture  # noqa: F401 (a fixture)
from tests.integration.conftest import TopicFactory
from tests.integration.helpers import poll_until
from tests.integration.test_workers import free_port, kafka_graphql
from tests.tokens import AUDIENCE, ISSUER, claims, rsa_pair

RSA = rsa_pair()
MIB = 1024 * 1024
# docs/limits.md#memory-held-per-caller: the worst case of one caller at the defaults.
WORST_CASE_PER_CALLER = 128 * MIB
TOPICS = 4
SOCKETS = 20
PER_SOCKET = 10
STALLED = 15
RECORDS = 20
VALUE_BYTES = 250_000
SMALL_RECORDS = 20


def token(subject: str) -> str:
    return RSA.sign(claims(sub=subject, scope="kafka:read:test-*"))


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise LookupError("no VmRSS")


def selection(group: int, copies: int) -> str:
    values = " ".join(f"g{group}v{i}: value" for i in range(copies))
    return f"subscription($t: String!) {{ messages(topic: $t) {{ offset key {values} }} }}"


def _small_buffer(addr_info: Any) -> socket.socket:
    family, kind, proto, _, _ = addr_info
    sock = socket.socket(family=family, type=kind, proto=proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    return sock


@asynccontextmanager
async def mallory_socket(url: str, stalled: bool) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    connector = aiohttp.TCPConnector(limit=0, socket_factory=_small_buffer if stalled else None)
    async with aiohttp.ClientSession(connector=connector) as session:
        ws = await session.ws_connect(url, protocols=[TRANSPORT_WS], max_msg_size=0)
        try:
            init = {
                "type": "connection_init",
                "payload": {"Authorization": f"Bearer {token('mallory')}"},
            }
            await ws.send_json(init)
            ack = await ws.receive_json(timeout=30)
            assert ack["type"] == "connection_ack", ack
            yield ws
        finally:
            # A socket that stopped reading would wait for the gateway's close frame behind
            # everything the gateway still has for it.
            if ws._conn is not None and ws._conn.transport is not None:
                ws._conn.transport.resume_reading()
            await ws.close()


async def drain(ws: aiohttp.ClientWebSocketResponse) -> None:
    """Mallory's reading sockets: read everything, as slowly as the gateway sends it."""
    async for _ in ws:
        pass


@pytest.mark.timeout(300)
async def test_one_caller_at_its_worst_stays_within_the_stated_bound(
    bootstrap: str,
    new_topic: TopicFactory,
    raw_producer: AIOKafkaProducer,
    http: aiohttp.ClientSession,
    key_files: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    topics = [await new_topic() for _ in range(TOPICS)]
    port = free_port()
    config = tmp_path / "gateway.toml"
    config.write_text(
        f'[kafka]\nbootstrap_servers = "{bootstrap}"\nrequest_timeout_s = 10\n'
        f"[server]\nport = {port}\nshutdown_grace_s = 2\n"
        # Subscribing 200 times at once costs 2,000 points, and Alice reads 300 KB records at
        # more than 1 MiB/s: budgets are not what is tested (every memory limit is at its
        # default; Mallory's 200 streams still want far more than her delivery budget).
        "[limits]\ncost_budget = 100000\ncost_refill_per_s = 10000\n"
        "delivery_bytes_per_s = 16777216\n"
        f'[auth]\nalgorithms = ["RS256"]\nissuer = "{ISSUER}"\naudience = "{AUDIENCE}"\n'
        f'public_key_file = "{key_files[0]}"\n'
        '[[topics]]\nname = "test-*"\n'
    )
    url = f"http://127.0.0.1:{port}/graphql"
    async with kafka_graphql(config) as process, AsyncExitStack() as stack:

        async def ready() -> bool:
            try:
                async with http.get(f"http://127.0.0.1:{port}/readyz") as response:
                    return response.status == 200
            except aiohttp.ClientError:
                return False

        await poll_until(ready, timeout_s=60, interval_s=0.2)
        alice = GraphQLClient(http, url, token("alice"))
        # From offset 0: nothing written before her stream is live can be missed.
        query = "subscription($t: String!) { messages(topic: $t, fromOffset: 0) { offset value } }"
        watcher = await stack.enter_async_context(alice.subscribe(query, {"t": topics[0]}))
        # Warm up every path once (the first record, decoded, executed, sent).
        await raw_producer.send_and_wait(topics[0], b'{"warm": true}', key=b"warm")
        assert (await watcher.next_message())["offset"] == 0
        baseline = rss(process.pid)

        sockets = []
        readers = []
        for s in range(SOCKETS):
            ws = await stack.enter_async_context(mallory_socket(url, stalled=s < STALLED))
            sockets.append(ws)
            for j in range(PER_SOCKET):
                # Sockets s and s + 1 (s even) subscribe the same selections: groups of two.
                group = (s // 2) * PER_SOCKET + j
                variables = {"t": topics[(s + j) % TOPICS]}
                payload = {"query": selection(group, 1 + j % 3), "variables": variables}
                await ws.send_json({"id": f"m{j}", "type": "subscribe", "payload": payload})
            if s < STALLED:
                assert ws._conn is not None and ws._conn.transport is not None
                ws._conn.transport.pause_reading()
            else:
                readers.append(asyncio.create_task(drain(ws)))

        peak = rss(process.pid)
        sampling = True

        async def sample() -> None:
            nonlocal peak
            while sampling:
                peak = max(peak, rss(process.pid))
                await asyncio.sleep(0.1)

        sampler = asyncio.create_task(sample())
        try:
            for n in range(RECORDS):
                for topic in topics:
                    value = json.dumps({"n": n, "text": "x" * VALUE_BYTES}).encode()
                    await raw_producer.send(topic, value, key=f"k{n}".encode())
            # And small values, which groups of two keep in their payload caches.
            for n in range(RECORDS, RECORDS + SMALL_RECORDS):
                for topic in topics:
                    value = json.dumps({"n": n, "text": "y" * 20_000}).encode()
                    await raw_producer.send(topic, value, key=f"k{n}".encode())
            await raw_producer.flush()
            # Alice receives every record of her topic, in order, while this goes on.
            written = RECORDS + SMALL_RECORDS
            received = [m["offset"] for m in await watcher.take(written)]
            assert received == list(range(1, written + 1))
            # The window in which RSS is sampled: mallory's reading sockets drain, her
            # conflating streams wait for her budget, her stalled ones hold what they may.
            await asyncio.sleep(5)
        finally:
            sampling = False
            await sampler
            for reader in readers:
                reader.cancel()
        grown = peak - baseline
        assert grown <= WORST_CASE_PER_CALLER, (
            f"the gateway grew by {grown / MIB:.0f} MiB for one caller "
            f"(bound {WORST_CASE_PER_CALLER / MIB:.0f} MiB; baseline {baseline / MIB:.0f} MiB)"
        )
        print(f"RSS baseline {baseline / MIB:.0f} MiB, peak {peak / MIB:.0f} MiB", flush=True)
