"""Integration fixtures: a real gateway on a real socket, talking to the real broker that
`make test` started (KAFKA_BOOTSTRAP_SERVERS)."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from kafka_graphql.core.limits.bucket import Clock
from kafka_graphql.core.tls import server_ssl_context
from kafka_graphql.dev.cursor_key import DEV_CURSOR_KEYS_ENV, ensure_dev_cursor_key
from kafka_graphql.http.state import KAFKA
from kafka_graphql.kafka import KafkaGateway
from kafka_graphql.server import create_app
from kafka_graphql.settings import Settings, settings_from_mapping
from tests.clients import GraphQLClient
from tests.integration.brokers import private_broker  # noqa: F401 (a fixture for every test)
from tests.integration.helpers import create_served_topic

TopicFactory = Callable[..., Awaitable[str]]

# As under `make run`: the gateways of the tests seal cursors with the development key under
# .dev/, from the variable the demo's server.cursor_keys_env names (gateway_settings names it too).
os.environ.setdefault(
    DEV_CURSOR_KEYS_ENV, ensure_dev_cursor_key(Path(__file__).parents[2] / ".dev" / "cursor.key")
)


@pytest.fixture(scope="session")
def bootstrap() -> str:
    servers = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if not servers:
        pytest.fail("KAFKA_BOOTSTRAP_SERVERS is not set: run the tests with `make test`")
    return servers


@pytest.fixture(scope="session")
def registry_url() -> str:
    url = os.environ.get("KAFKA_GRAPHQL_SCHEMA_REGISTRY_URL")
    if not url:
        pytest.fail("KAFKA_GRAPHQL_SCHEMA_REGISTRY_URL is not set: run the tests with `make test`")
    return url


# Budgets far above what a test's writers can use, for tests about something else (faults,
# outages) whose writers a fast enough gateway would otherwise see RATE_LIMITED, and whose
# largest pages (with their headers) cost more than one operation may by default.
UNTHROTTLED = {
    "max_query_cost": 10_000_000,
    "cost_budget": 10_000_000,
    "cost_refill_per_s": 10_000_000,
    "produce_messages_per_s": 10_000_000,
    "produce_bytes_per_s": 10_000_000_000,
}


def gateway_settings(
    bootstrap: str, request_timeout_s: float = 10, metadata_max_age_s: float = 0, **limits: Any
) -> Settings:
    """A test gateway's settings. Metadata is fetched on every look-up (`metadata_max_age_s`
    0): a gateway answers a name its cached metadata does not hold NOT_FOUND, and tests use the
    topics they create at once."""
    return settings_from_mapping(
        {
            "kafka": {
                "bootstrap_servers": bootstrap,
                "request_timeout_s": request_timeout_s,
                "metadata_max_age_s": metadata_max_age_s,
            },
            "server": {"shutdown_grace_s": 2, "cursor_keys_env": DEV_CURSOR_KEYS_ENV},
            "limits": limits,
            "topics": [{"name": "test-*"}],
        }
    )


@dataclass
class RunningGateway:
    app: web.Application
    url: str
    runner: web.AppRunner
    stopped: bool = False

    async def stop(self) -> None:
        """What SIGTERM does under `web.run_app`: the runner's graceful shutdown."""
        if not self.stopped:
            self.stopped = True
            await self.runner.cleanup()

    @property
    def kafka(self) -> KafkaGateway:
        return self.app[KAFKA]


@asynccontextmanager
async def run_gateway(
    settings: Settings, limits_clock: Clock = time.monotonic
) -> AsyncIterator[RunningGateway]:
    app = create_app(settings, limits_clock=limits_clock)
    runner = web.AppRunner(app)
    await runner.setup()
    # As `kafka-graphql` serves: HTTPS when the settings name a certificate and key.
    tls = server_ssl_context(settings.server.tls_cert_file, settings.server.tls_key_file)
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls)
    await site.start()
    host, port = runner.addresses[0][:2]
    scheme = "https" if tls else "http"
    running = RunningGateway(app, f"{scheme}://{host}:{port}/graphql", runner)
    try:
        yield running
    finally:
        await running.stop()


@pytest_asyncio.fixture(scope="session")
async def gateway(bootstrap: str) -> AsyncIterator[RunningGateway]:
    async with run_gateway(gateway_settings(bootstrap)) as running:
        yield running


@pytest_asyncio.fixture(scope="session")
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    # No connection cap: the fan-out test holds hundreds of WebSockets open at once.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        yield session


@pytest.fixture
def client(gateway: RunningGateway, http: aiohttp.ClientSession) -> GraphQLClient:
    return GraphQLClient(http, gateway.url)


@pytest_asyncio.fixture(scope="session")
async def admin(bootstrap: str) -> AsyncIterator[AIOKafkaAdminClient]:
    client = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await client.start()
    yield client
    await client.close()


@pytest_asyncio.fixture(scope="session")
async def raw_producer(bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    yield producer
    await producer.stop()


@pytest.fixture
def new_topic(admin: AIOKafkaAdminClient) -> TopicFactory:
    """Creates a fresh topic (default name test-<random>) and waits until the broker serves it."""

    async def create(partitions: int = 1, prefix: str = "test") -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:12]}"
        await create_served_topic(admin, name, partitions)
        return name

    return create
