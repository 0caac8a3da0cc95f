"""A record's delivery as telemetry sees it: `Telemetry.delivering` (a tracing sink's CONSUMER
span, linked to the record's producer through its `traceparent` header) for a record read from
Kafka. Every delivery path calls it, and only when `telemetry.traces_deliveries` is true."""

from __future__ import annotations

from contextlib import AbstractContextManager

from kafka_graphql.core.telemetry import Telemetry
from kafka_graphql.kafka import Record


def delivering(telemetry: Telemetry, record: Record) -> AbstractContextManager[None]:
    """Held while `record` is delivered to one subscriber, or to a group that shares its
    execution; its headers as written (those with a text name)."""
    headers = [
        (h.key, h.value.encode() if h.value is not None else h.binary_value)
        for h in record.headers
        if h.key is not None
    ]
    return telemetry.delivering(record.topic, record.partition, record.offset, headers)
