"""A gateway with field-level rules for the field authorization tests, callers with the scopes
they need, and a record of every call the gateway makes to Kafka."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.clients import GraphQLClient
from tests.integration.auth import auth_settings
from tests.integration.conftest import RunningGateway, run_gateway
from tests.integration.typed import SCHEMAS
from tests.tokens import claims, rsa_pair

RSA = rsa_pair()
# A typed topic, created at start-up; readable with kafka:read:test-*.
ORDERS = f"test-fields-orders-{uuid.uuid4().hex[:8]}"
READ_WRITE = "kafka:read:test-* kafka:write:test-*"
# Reads and writes, and may see nothing that a field rule guards or masks.
READER = READ_WRITE
# May select the customer, but not see its email, the quantity or the items' counts.
SUPPORT = f"{READ_WRITE} orders:customer"
# Sees every field of an order.
PII = f"{READ_WRITE} orders:pii orders:quantity orders:counts"

ORDER_RULES = {
    "field_scopes": {
        "Order.customer": ["orders:customer", "orders:pii"],
        "LineItem.count": ["orders:counts"],
    },
    "mask": {"OrderCustomer.email": "orders:pii", "Order.quantity": "orders:quantity"},
}
GENERIC_RULES = {
    "field_scopes": {
        "Message.headers": ["kafka:headers"],
        "Topic.partitions": ["ops"],
        "ProduceResult.timestamp": ["ops"],
    }
}

# Every method of the Kafka layer (the only code that talks to Kafka) that a resolver may call.
KAFKA_METHODS = (
    "topic_names",
    "partitions",
    "offsets",
    "offsets_for_time",
    "ensure_topics",
    "ping",
    "readiness",
    "readiness_checks",
    "produce",
    "read_page",
    "stream",
)


@asynccontextmanager
async def field_gateway(bootstrap: str, public_key_file: Path) -> AsyncIterator[RunningGateway]:
    topics: list[dict[str, Any]] = [
        {
            "name": ORDERS,
            "partitions": 1,
            "type": "Order",
            "value_schema": str(SCHEMAS / "order.schema.json"),
            **ORDER_RULES,
        },
        {"name": "test-*"},
    ]
    settings = auth_settings(bootstrap, public_key_file, auth=GENERIC_RULES, topics=topics)
    async with run_gateway(settings) as running:
        yield running


def callers(gateway: RunningGateway, http: aiohttp.ClientSession) -> Callable[[str], GraphQLClient]:
    def client(scope: str) -> GraphQLClient:
        return GraphQLClient(http, gateway.url, RSA.sign(claims(scope=scope)))

    return client


def record_kafka_calls(gateway: RunningGateway, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the Kafka layer's methods called from now on, in order."""
    calls: list[str] = []
    kafka = gateway.kafka
    for name in KAFKA_METHODS:
        original = getattr(kafka, name)

        def recorded(*args: Any, _name: str = name, _original: Any = original, **kw: Any) -> Any:
            calls.append(_name)
            return _original(*args, **kw)

        monkeypatch.setattr(kafka, name, recorded)
    return calls


def order(email: str, **changes: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "id": "o-1",
        # As the gateway writes a DateTime, so that the value read back is the value written.
        "placedAt": "2026-11-26T09:30:00+00:00",
        "status": "PLACED",
        "customer": {"name": "Ada", "email": email},
        "items": [{"sku": "TEA-1", "count": 1}, {"sku": "CUP-2", "count": 3}],
        "quantity": 4,
    }
    value.update(changes)
    return value


def unique_email() -> str:
    return f"ada-{uuid.uuid4().hex[:8]}@example.com"
