"""`server.workers = 2`: the supervisor's metrics listener serves the figures of both workers as
one gateway's. Which worker holds a connection is read from the kernel (test_workers.py)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from tests.clients import TRANSPORT_WS, GraphQLClient, Subscription
from tests.integration.conftest import TopicFactory
from tests.integration.helpers import PRODUCE, SUBSCRIBE
from tests.integration.test_workers import (
    children,
    free_port,
    owner,
    server_side_inode,
    workers_ready,
)
from tests.metrics import Scrape, scrape, scraped_when

SOCKETS = 16


@asynccontextmanager
async def supervisor(
    config: Path, metrics_port: int, stderr: int | None = None
) -> AsyncIterator[asyncio.subprocess.Process]:
    # The configuration file says where Kafka is; the metrics on the port the test chose.
    environment = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
    environment["KAFKA_GRAPHQL_METRICS_PORT"] = str(metrics_port)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "kafka_graphql", "--config", str(config)),
        env=environment,
        stderr=stderr,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.mark.timeout(180)
async def test_the_supervisor_serves_the_figures_of_every_worker(
    bootstrap: str, new_topic: TopicFactory, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    topic = await new_topic()
    port, metrics_port = free_port(), free_port()
    config = tmp_path / "gateway.toml"
    config.write_text(
        f'[kafka]\nbootstrap_servers = "{bootstrap}"\n'
        f"[server]\nport = {port}\nworkers = 2\nshutdown_grace_s = 2\n"
        '[[topics]]\nname = "test-*"\n'
    )
    url = f"http://127.0.0.1:{metrics_port}/metrics"
    client = GraphQLClient(http, f"http://127.0.0.1:{port}/graphql")
    async with supervisor(config, metrics_port) as process:
        await workers_ready(http, port, process.pid)
        workers = children(process.pid)
        subscriptions = [client.subscribe(SUBSCRIBE, {"topic": topic}) for _ in range(SOCKETS)]
        held: dict[int, list[Subscription]] = {pid: [] for pid in workers}
        try:
            for subscription in subscriptions:
                await subscription.__aenter__()
                assert subscription.ws is not None
                client_port = subscription.ws.get_extra_info("sockname")[1]
                held[owner(server_side_inode(port, client_port), workers)].append(subscription)
            assert all(held.values()), {pid: len(s) for pid, s in held.items()}
            # Both workers' subscribers are live (another process: asked until they are).
            live = await scraped_when(
                http, url, lambda s: s.value("kafka_graphql_subscriptions", topic=topic) == SOCKETS
            )
            assert live.value("kafka_graphql_connections", transport=TRANSPORT_WS) == SOCKETS
            # One group per worker: each shares the operation's execution among its own.
            assert live.value("kafka_graphql_subscription_groups") == 2

            assert "errors" not in await client.post(PRODUCE, {"topic": topic, "value": 1})
            for subscription in subscriptions:
                assert (await subscription.next_message())["value"] == 1
            delivered = await scrape(http, url)
        finally:
            for subscription in subscriptions:
                if subscription.ws is not None:
                    await subscription.ws.close()
        ended = await scraped_when(
            http,
            url,
            lambda s: (
                s.value(
                    "kafka_graphql_requests_total",
                    face="graphql",
                    operation_type="subscription",
                    code="OK",
                )
                == SOCKETS
            ),
        )
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 60) == 0

    _assert_merged(delivered, ended, topic, len(workers))


def _assert_merged(delivered: Scrape, ended: Scrape, topic: str, workers: int) -> None:
    assert delivered.value("kafka_graphql_deliveries_total", topic=topic) == SOCKETS
    assert delivered.value("kafka_graphql_delivered_bytes_total", topic=topic) == SOCKETS
    assert delivered.value("kafka_graphql_produced_records_total", topic=topic, code="OK") == 1
    assert (
        delivered.value(
            "kafka_graphql_requests_total", face="graphql", operation_type="mutation", code="OK"
        )
        == 1
    )
    # Each worker follows the topic with a feed of its own: the furthest behind shows.
    assert delivered.value("kafka_graphql_feed_lag_records", topic=topic, partition="0") == 0
    # Not multiplied by the workers.
    (version,) = delivered.series("kafka_graphql_build_info").values()
    assert version == 1
    assert delivered.value("process_max_fds") > 0
    assert ended.value("kafka_graphql_subscriptions", topic=topic) == 0
    assert ended.value("kafka_graphql_connections", transport=TRANSPORT_WS) == 0
    assert ended.value("kafka_graphql_subscription_groups") == 0
    assert ended.value("kafka_graphql_deliveries_total", topic=topic) == SOCKETS
    assert workers == 2


async def test_a_metrics_port_in_use_stops_the_workers(bootstrap: str, tmp_path: Path) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text(
        f'[kafka]\nbootstrap_servers = "{bootstrap}"\n'
        f"[server]\nport = {free_port()}\nworkers = 2\nshutdown_grace_s = 2\n"
    )
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        async with supervisor(config, port, stderr=asyncio.subprocess.PIPE) as process:
            _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    assert (
        f"kafka-graphql: cannot start: cannot serve the metrics on 127.0.0.1:{port} "
        "(metrics.host, metrics.port): "
    ) in stderr.decode()
    assert "Traceback" not in stderr.decode()
