"""The transport's suites: a real gateway on a real socket whose Kafka layer is a stand-in that
fails each test it is reached in (tests/kafka_stand_in.py). No broker is needed, and none is
reached: every refusal here is made before any Kafka call."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
import pytest_asyncio

from tests.clients import GraphQLClient
from tests.gateways import RunningGateway
from tests.kafka_stand_in import NotReached
from tests.unit.transport.serving import serve, settings_without_kafka


@pytest.fixture(scope="session")
def kafka() -> NotReached:
    """The one stand-in of every gateway of these suites."""
    return NotReached()


@pytest.fixture(autouse=True)
def kafka_not_reached(kafka: NotReached) -> Iterator[NotReached]:
    """Each test ends with Kafka not called (whatever its gateway answered)."""
    kafka.calls.clear()
    yield kafka
    assert kafka.calls == [], f"Kafka was reached: {kafka.calls}"


@pytest_asyncio.fixture(scope="session")
async def gateway(kafka: NotReached) -> AsyncIterator[RunningGateway]:
    async with serve(settings_without_kafka(), kafka) as running:
        yield running


@pytest_asyncio.fixture(scope="session")
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def client(gateway: RunningGateway, http: aiohttp.ClientSession) -> GraphQLClient:
    return GraphQLClient(http, gateway.url)
