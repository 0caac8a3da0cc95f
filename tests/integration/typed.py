"""A gateway with typed topics of the test's own, and the typed GraphQL operations."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient

from kafka_graphql.dev.cursor_key import DEV_CURSOR_KEYS_ENV
from kafka_graphql.settings import settings_from_mapping
from tests.integration.conftest import RunningGateway, run_gateway
from tests.integration.helpers import create_served_topic

SCHEMAS = Path(__file__).parents[1] / "fixtures" / "schemas"

ENVELOPE = "topic partition offset timestamp key headers { key value } cursor rawValue schemaErrors"

# A Payment (schemas/payment.avsc) as its GraphQL input: every kind of Avro field once.
PAYMENT = {
    "id": "p-1",
    "orderId": "7b0c2c2e-55a4-4a8e-9b8a-2f4f7d0c9f11",
    "amountCents": 1234,
    "attempt": 1,
    "rate": 1.5,
    "ratio": 0.5,
    "captured": True,
    "at": "2026-11-25T12:00:00Z",
    "signature": "AAEC",
    "digest": "AAECAw==",
    "status": "DONE",
    "labels": {"channel": "web"},
    "notes": ["first", None],
    "payer": {"name": "Ada"},
    "method": {"transfer": {"iban": "DE00"}},
    "history": [],
}


async def create_topic(admin: AIOKafkaAdminClient, partitions: int, prefix: str = "typed") -> str:
    name = f"{prefix}-{uuid.uuid4().hex[:12]}"
    await create_served_topic(admin, name, partitions)
    return name


@asynccontextmanager
async def typed_gateway(
    bootstrap: str,
    topics: list[Mapping[str, Any]],
    registry_url: str | None = None,
) -> AsyncIterator[RunningGateway]:
    raw: dict[str, Any] = {
        "kafka": {"bootstrap_servers": bootstrap, "request_timeout_s": 10, "metadata_max_age_s": 0},
        "server": {"shutdown_grace_s": 2, "cursor_keys_env": DEV_CURSOR_KEYS_ENV},
        "topics": [{"name": "test-*"}, *topics],
    }
    if registry_url is not None:
        raw["schema_registry"] = {"url": registry_url}
    async with run_gateway(settings_from_mapping(raw, base_dir=SCHEMAS)) as running:
        yield running
