"""The v2 API's answers, built from the core's results: produce offsets, topics, partitions,
offsets and brokers, in Confluent's field names (`entities/v2/` of confluentinc/kafka-rest)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kafka_graphql.core.errors import GatewayError
from kafka_graphql.core.metadata import TopicMetadata
from kafka_graphql.core.produce import Written
from kafka_graphql.kafka import PartitionDetails, PartitionOffsets
from kafka_graphql.rest.errors import record_error_code


def produce_answer(
    outcomes: Sequence[Written | GatewayError],
    key_schema_id: int | None = None,
    value_schema_id: int | None = None,
) -> dict[str, Any]:
    """One entry per record, in their order: its partition and offset, or (not written) its
    own `error_code` and `error` with both null; the ids of the schemas the keys and values
    were written with (null for json and binary)."""
    return {
        "offsets": [_offset(outcome) for outcome in outcomes],
        "key_schema_id": key_schema_id,
        "value_schema_id": value_schema_id,
    }


def _offset(outcome: Written | GatewayError) -> dict[str, Any]:
    if isinstance(outcome, GatewayError):
        return {
            "partition": None,
            "offset": None,
            "error_code": record_error_code(outcome),
            "error": outcome.message,
        }
    return {
        "partition": outcome.partition,
        "offset": outcome.offset,
        "error_code": None,
        "error": None,
    }


def topic_answer(topic: TopicMetadata) -> dict[str, Any]:
    return {
        "name": topic.name,
        "configs": dict(topic.configs),
        "partitions": [partition_answer(p) for p in topic.partitions],
    }


def partition_answer(partition: PartitionDetails) -> dict[str, Any]:
    return {
        "partition": partition.partition,
        "leader": partition.leader,
        "replicas": [
            {
                "broker": broker,
                "leader": broker == partition.leader,
                "in_sync": broker in partition.in_sync,
            }
            for broker in partition.replicas
        ],
    }


def offsets_answer(offsets: PartitionOffsets) -> dict[str, int]:
    return {"beginning_offset": offsets.earliest, "end_offset": offsets.latest}


def brokers_answer(brokers: Sequence[int]) -> dict[str, list[int]]:
    return {"brokers": list(brokers)}
