"""Gateways with `[auth]` for the authentication and authorization tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from kafka_graphql.dev.cursor_key import DEV_CURSOR_KEYS_ENV
from kafka_graphql.settings import Settings, settings_from_mapping
from tests.integration.helpers import create_served_topic
from tests.tokens import AUDIENCE, ISSUER, ec_pair, rsa_pair, write_keys

# A scope set that may do anything: the positive control of every refusal.
ADMIN = "kafka:admin"


@pytest.fixture(scope="session", name="key_files")
def key_files_fixture(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The RSA key as a PEM file; the RSA and EC keys in a JWKS file."""
    return write_keys(tmp_path_factory.mktemp("keys"), rsa_pair(), ec_pair())


def auth_settings(
    bootstrap: str,
    public_key_file: Path,
    auth: Mapping[str, Any] | None = None,
    topics: Sequence[Mapping[str, Any]] = ({"name": "test-*"},),
    environ: Mapping[str, str] | None = None,
    registry_url: str | None = None,
) -> Settings:
    registry = {"schema_registry": {"url": registry_url}} if registry_url else {}
    return settings_from_mapping(
        {
            **registry,
            "kafka": {
                "bootstrap_servers": bootstrap,
                "request_timeout_s": 10,
                "metadata_max_age_s": 0,
            },
            # The development cursor key, as every test gateway (conftest.py): gateways compared
            # byte for byte seal the same cursors.
            "server": {"shutdown_grace_s": 2, "cursor_keys_env": DEV_CURSOR_KEYS_ENV},
            "metrics": {"enabled": False},
            # These tests are about permissions and read a lot as one caller; budgets have
            # their own tests (test_limits_*.py).
            "limits": {"cost_budget": 100_000, "cost_refill_per_s": 10_000},
            "auth": {
                "algorithms": ["RS256"],
                "issuer": ISSUER,
                "audience": AUDIENCE,
                "leeway_s": 0,
                "public_key_file": str(public_key_file),
                **(auth or {}),
            },
            "topics": [dict(t) for t in topics],
        },
        environ=environ or {},
    )


async def create_topic(admin: AIOKafkaAdminClient, name: str, partitions: int = 1) -> None:
    """Creates `name` and waits until the broker serves every partition."""
    await create_served_topic(admin, name, partitions)


async def end_offsets(bootstrap: str, topic: str, partitions: int = 1) -> dict[int, int]:
    """What a raw Kafka consumer sees at the end of each partition of `topic`."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        offsets = await consumer.end_offsets([TopicPartition(topic, p) for p in range(partitions)])
        return {tp.partition: offset for tp, offset in offsets.items()}
    finally:
        await consumer.stop()
