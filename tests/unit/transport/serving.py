"""Gateways for the transport's suites: on a real socket, over the stand-in for Kafka
(tests/kafka_stand_in.py), so that they run without a broker."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from kafka_graphql.core.cursor import CursorSealer
from kafka_graphql.core.kafka_layer import KafkaLayer
from kafka_graphql.core.telemetry import Telemetry
from kafka_graphql.settings import Settings, settings_from_mapping
from tests.gateways import RunningGateway, run_gateway

# Never dialled (the stand-in is the gateway's Kafka layer): a port nothing listens on, so that
# a gateway that made a real Kafka layer after all would fail at start-up.
NO_BROKER = "127.0.0.1:9"


def settings_without_kafka(
    environ: Mapping[str, str] | None = None, **tables: Mapping[str, Any]
) -> Settings:
    """As tests/integration's gateway_settings (the topics `test-*`), with `tables` over them."""
    mapping: dict[str, Any] = {
        "kafka": {"bootstrap_servers": NO_BROKER},
        "server": {"shutdown_grace_s": 2},
        "topics": [{"name": "test-*"}],
    }
    for table, values in tables.items():
        mapping[table] = {**mapping.get(table, {}), **values}
    return settings_from_mapping(mapping, environ=environ or {})


@asynccontextmanager
async def serve(
    settings: Settings, kafka: KafkaLayer, telemetry: Telemetry | None = None
) -> AsyncIterator[RunningGateway]:
    """`settings` served over `kafka`; cursors sealed with a key of its own (no test here opens
    a cursor another gateway sealed)."""
    async with run_gateway(
        settings, kafka=kafka, cursors=CursorSealer.ephemeral(), telemetry=telemetry
    ) as running:
        yield running
