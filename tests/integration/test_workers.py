"""`server.workers = 2`: the kafka-graphql command as in production, two workers on one port.

Which worker holds a connection is read from the kernel (/proc: the worker whose file descriptors
include the server side of the TCP connection), not from anything the API tells."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.clients import GraphQLClient, Subscription
from tests.integration.conftest import TopicFactory
from tests.integration.helpers import PRODUCE, poll_until

SUBSCRIBE = "subscription($t: String!) { messages(topic: $t, fromOffset: 0) { offset value } }"
PAGE = """query($t: String!, $after: Cursor) {
  messages(topic: $t, after: $after, limit: 1) { messages { value } nextCursor }
}"""
WORKERS = 2
SOCKETS = 16


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def server_side_inode(server_port: int, client_port: int) -> int:
    """The inode of the accepted socket of the connection from `client_port`."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1], fields[2]
        if int(local.split(":")[1], 16) == server_port and int(remote.split(":")[1], 16) == (
            client_port
        ):
            return int(fields[9])
    raise LookupError(f"no connection from port {client_port}")


def listening(port: int) -> int:
    """Sockets listening on `port` (one per worker, with SO_REUSEPORT)."""
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        count += int(fields[1].split(":")[1], 16) == port and fields[3] == "0A"
    return count


def owner(inode: int, pids: set[int]) -> int:
    target = f"socket:[{inode}]"
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(fd) == target:
                    return pid
            except FileNotFoundError:
                continue
    raise LookupError(f"no worker holds socket {inode}")


async def workers_ready(http: aiohttp.ClientSession, port: int, supervisor: int) -> None:
    """Until every worker listens and one answers /readyz (another process: polled)."""

    async def ready() -> bool:
        try:
            async with http.get(f"http://127.0.0.1:{port}/readyz") as response:
                answered = response.status == 200
        except aiohttp.ClientError:
            return False
        return answered and listening(port) == WORKERS

    await poll_until(ready, timeout_s=90, interval_s=0.2)


@asynccontextmanager
async def kafka_graphql(config: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    # The configuration file alone says where Kafka is (the environment would override it).
    environment = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "kafka_graphql", "serve", "--config", str(config), env=environment
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def query(socket: Subscription, document: str, variables: dict[str, Any]) -> Any:
    """A query on a subscription's socket (graphql-transport-ws runs queries too): its result."""
    assert socket.ws is not None
    await socket.ws.send_json(
        {"id": "q", "type": "subscribe", "payload": {"query": document, "variables": variables}}
    )
    events: list[dict[str, Any]] = []
    while not events or events[-1]["type"] != "complete":
        event = await socket.next_event()
        if event.get("id") == "q":  # the socket's earlier operations may still speak
            events.append(event)
    (answer, _complete) = events
    assert answer["type"] == "next", answer
    return answer["payload"]


@pytest.mark.timeout(180)
async def test_two_workers_share_the_port_and_stop_together(
    bootstrap: str, new_topic: TopicFactory, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    topic = await new_topic(partitions=2)
    port = free_port()
    config = tmp_path / "gateway.toml"
    config.write_text(
        f'[kafka]\nbootstrap_servers = "{bootstrap}"\n'
        f"[server]\nport = {port}\nworkers = {WORKERS}\nshutdown_grace_s = 2\n"
        '[[topics]]\nname = "test-*"\n'
    )
    url = f"http://127.0.0.1:{port}/graphql"
    client = GraphQLClient(http, url)
    async with kafka_graphql(config) as process:
        await workers_ready(http, port, process.pid)
        workers = children(process.pid)
        subscriptions = [client.subscribe(SUBSCRIBE, {"t": topic}) for _ in range(SOCKETS)]
        held: dict[int, list[Subscription]] = {pid: [] for pid in workers}
        try:
            for subscription in subscriptions:
                await subscription.__aenter__()
                assert subscription.ws is not None
                client_port = subscription.ws.get_extra_info("sockname")[1]
                held[owner(server_side_inode(port, client_port), workers)].append(subscription)
            # The kernel spread the connections: both workers serve (all 16 on one: 2^-15).
            assert all(held.values()), {pid: len(s) for pid, s in held.items()}

            # Produced through a socket of one worker, for subscribers on both.
            one, other = workers
            producer = held[one][0]
            assert producer.ws is not None
            await producer.ws.send_json(
                {
                    "id": "produce",
                    "type": "subscribe",
                    "payload": {"query": PRODUCE, "variables": {"topic": topic, "value": "hi"}},
                }
            )
            for subscription in held[other] + held[one][1:]:
                assert await subscription.next_message() == {"offset": 0, "value": "hi"}
            answer: dict[str, Any] = await producer.next_event()
            if answer.get("id") != "produce":  # its own subscription's message came first
                assert answer["payload"]["data"]["messages"]["value"] == "hi"
                answer = await producer.next_event()
            assert answer["payload"]["data"]["produce"]["topic"] == topic, json.dumps(answer)

            # Without server.cursor_keys_env, the workers share the key the supervisor made: a
            # page's cursor from one worker opens on the other.
            first = await query(producer, PAGE, {"t": topic})
            assert first["data"]["messages"]["messages"] == [{"value": "hi"}], first
            cursor = first["data"]["messages"]["nextCursor"]
            resumed = await query(held[other][0], PAGE, {"t": topic, "after": cursor})
            assert "errors" not in resumed, resumed
            assert resumed["data"]["messages"]["messages"] == []
            tampered = cursor[:-2] + ("AA" if cursor[-2:] != "AA" else "BB")
            refused = await query(held[other][0], PAGE, {"t": topic, "after": tampered})
            assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", refused
        finally:
            for subscription in subscriptions:
                if subscription.ws is not None:
                    await subscription.ws.close()

        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 60) == 0
        assert not any(alive(pid) for pid in workers)


async def test_a_worker_that_cannot_start_stops_the_gateway(tmp_path: Path) -> None:
    config = tmp_path / "gateway.toml"
    # Port 1 refuses at once: every worker fails to start.
    config.write_text(
        '[kafka]\nbootstrap_servers = "127.0.0.1:1"\nrequest_timeout_s = 5\n'
        f"[server]\nport = {free_port()}\nworkers = 2\n"
    )
    async with kafka_graphql(config) as process:
        assert await asyncio.wait_for(process.wait(), 60) == 1


@pytest.mark.timeout(180)
async def test_a_worker_that_dies_stops_the_gateway(
    bootstrap: str, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    port = free_port()
    config = tmp_path / "gateway.toml"
    config.write_text(
        f'[kafka]\nbootstrap_servers = "{bootstrap}"\n'
        f"[server]\nport = {port}\nworkers = {WORKERS}\nshutdown_grace_s = 2\n"
    )
    async with kafka_graphql(config) as process:
        await workers_ready(http, port, process.pid)
        crashed, *others = children(process.pid)
        os.kill(crashed, signal.SIGKILL)
        # The supervisor stops the others and says so with its status (for a restart).
        assert await asyncio.wait_for(process.wait(), 60) == 1
        assert not any(alive(pid) for pid in others)
