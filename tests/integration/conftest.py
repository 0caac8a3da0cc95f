"""Integration fixtures: a real gateway on a real socket, talking to the real broker that
`make test` started (KAFKA_BOOTSTRAP_SERVERS)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from kafka_graphql.dev.cursor_key import DEV_CURSOR_KEYS_ENV, ensure_dev_cursor_key
from kafka_graphql.settings import Settings, settings_from_mapping
from tests.clients import GraphQLClient

# Re-exported (`as`): the integration tests import them from here, as before tests/gateways.py.
from tests.gateways import RunningGateway as RunningGateway
from tests.gateways import run_gateway as run_gateway
from tests.integration.brokers import private_broker  # noqa: F401 (a fixture for every test)
from tests.integration.helpers import create_served_topic

TopicFactory = Callable[..., Awaitable[str]]

# As under `make run`: the gateways of the tests seal cursors with the development key under
# .dev/, from the variable the demo's server.cursor_keys_env names (gateway_settings names it too).
os.environ.setdefault(
    DEV_CURSOR_KEYS_ENV, ensure_dev_cursor_key(Path(__file__).parents[2] / ".dev" / "cursor.key")
)
# The gateways the tests start as commands (`python -m kafka_graphql`, inheriting this
# environment) serve their metrics on a free port, never on the default 9464 that `make run`
# (or another test run on the machine) may hold.
os.environ.setdefault("KAFKA_GRAPHQL_METRICS_PORT", "0")
# And their gRPC face (the demo's is on) on a free port, never on 50051.
os.environ.setdefault("KAFKA_GRAPHQL_GRPC_PORT", "0")


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
            # Off: a test about metrics turns them on, on a free port (test_metrics.py).
            "metrics": {"enabled": False},
            "limits": limits,
            "topics": [{"name": "test-*"}],
        }
    )


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
