"""A gateway with typed topics of the test's own, and the typed GraphQL operations."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from kafka_graphql.settings import settings_from_mapping
from tests.integration.conftest import RunningGateway, run_gateway
from tests.integration.helpers import poll_until

SCHEMAS = Path(__file__).parents[1] / "fixtures" / "schemas"

ENVELOPE = "topic partition offset timestamp key headers { key value } cursor rawValue schemaErrors"


async def create_topic(admin: AIOKafkaAdminClient, partitions: int, prefix: str = "typed") -> str:
    name = f"{prefix}-{uuid.uuid4().hex[:12]}"
    await admin.create_topics([NewTopic(name, partitions, 1)])

    async def served() -> bool:
        (described,) = await admin.describe_topics([name])
        ready = [p for p in described["partitions"] if p["leader"] >= 0]
        return described["error_code"] == 0 and len(ready) == partitions

    await poll_until(served, timeout_s=30, interval_s=0.05)
    return name


@asynccontextmanager
async def typed_gateway(
    bootstrap: str,
    topics: list[Mapping[str, Any]],
    registry_url: str | None = None,
) -> AsyncIterator[RunningGateway]:
    raw: dict[str, Any] = {
        "kafka": {"bootstrap_servers": bootstrap, "request_timeout_s": 10, "metadata_max_age_s": 1},
        "server": {"shutdown_grace_s": 2},
        "topics": [{"name": "test-*"}, *topics],
    }
    if registry_url is not None:
        raw["schema_registry"] = {"url": registry_url}
    async with run_gateway(settings_from_mapping(raw, base_dir=SCHEMAS)) as running:
        yield running
