"""`/readyz`'s body: each check with its state, 503 when a check of the Kafka layer fails (the
schema registry's state is listed, and never makes the gateway unready). Over a stand-in whose
checks say what each test needs; tests/integration/test_broker_faults.py has the real ones
with a broker that goes away."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from kafka_graphql.core.errors import SchemaRegistryUnavailable
from kafka_graphql.http.state import REGISTRY
from tests.gateways import RunningGateway
from tests.kafka_stand_in import NotReached
from tests.unit.transport.serving import serve, settings_without_kafka

STALLED = "live feeds make no progress: test-a"


class Checked(NotReached):
    """Answers readiness's checks with `problems` (and nothing else)."""

    def __init__(self, problems: dict[str, str | None]) -> None:
        super().__init__()
        self.problems = problems

    async def readiness_checks(self) -> dict[str, str | None]:
        return dict(self.problems)


async def readyz(running: RunningGateway, http: aiohttp.ClientSession) -> tuple[int, Any]:
    async with http.get(running.url.removesuffix("/graphql") + "/readyz") as response:
        return response.status, await response.json()


@pytest.mark.parametrize(
    ("problems", "status", "body"),
    [
        (
            {"cluster": None, "producer": None, "feeds": None},
            200,
            {
                "status": "ready",
                "checks": {
                    "cluster": {"state": "ok"},
                    "producer": {"state": "ok"},
                    "feeds": {"state": "ok"},
                    "registry": {"state": "off"},
                },
            },
        ),
        (
            {"cluster": None, "producer": "the producer has made no progress", "feeds": STALLED},
            503,
            {
                "status": "unavailable",
                "reason": "the producer has made no progress",
                "checks": {
                    "cluster": {"state": "ok"},
                    "producer": {
                        "state": "failing",
                        "reason": "the producer has made no progress",
                    },
                    "feeds": {"state": "failing", "reason": STALLED},
                    "registry": {"state": "off"},
                },
            },
        ),
    ],
)
async def test_each_check_with_its_state(
    http: aiohttp.ClientSession, problems: dict[str, str | None], status: int, body: Any
) -> None:
    async with serve(settings_without_kafka(), Checked(problems)) as running:
        assert await readyz(running, http) == (status, body)


async def test_the_registry_is_listed_and_never_makes_the_gateway_unready(
    http: aiohttp.ClientSession,
) -> None:
    # Nothing listens on port 9: the registry's client fails to reach it.
    settings = settings_without_kafka(schema_registry={"url": "http://127.0.0.1:9"})
    ready: dict[str, str | None] = {"cluster": None, "producer": None, "feeds": None}
    async with serve(settings, Checked(ready)) as running:
        status, body = await readyz(running, http)
        assert (status, body["checks"]["registry"]) == (200, {"state": "ok"})
        with pytest.raises(SchemaRegistryUnavailable):
            await running.app[REGISTRY].by_id(1)
        status, body = await readyz(running, http)
        assert (status, body["status"]) == (200, "ready")
        assert body["checks"]["registry"] == {
            "state": "failing",
            "reason": "cannot reach the schema registry (ClientConnectorError)",
        }
