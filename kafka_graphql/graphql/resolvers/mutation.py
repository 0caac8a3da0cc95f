"""Mutation resolvers: writes to Kafka, answered once Kafka acknowledged them (acks=all). The
checks and the write are the core's (core/produce.py)."""

from __future__ import annotations

from kafka_graphql.core.produce import NewRecord, Written, produce
from kafka_graphql.graphql.context import Info
from kafka_graphql.graphql.schema.inputs import HeaderInput, MessageInput
from kafka_graphql.graphql.schema.scalars import JSON, DateTime, Long
from kafka_graphql.graphql.schema.types import ProduceResult, as_datetime


async def resolve_produce(
    info: Info,
    topic: str,
    value: JSON,
    key: str | None = None,
    headers: list[HeaderInput] | None = None,
    partition: int | None = None,
) -> ProduceResult:
    record = NewRecord(value, key, headers, partition)
    context = info.context
    written = await produce(context.core, context.principal, topic, [record])
    return to_produce_result(written[0])


async def resolve_produce_batch(
    info: Info, topic: str, messages: list[MessageInput]
) -> list[ProduceResult]:
    records = [NewRecord(m.value, m.key, m.headers, m.partition) for m in messages]
    context = info.context
    written = await produce(context.core, context.principal, topic, records, batch="messages")
    return [to_produce_result(w) for w in written]


def to_produce_result(written: Written) -> ProduceResult:
    return ProduceResult(
        topic=written.topic,
        partition=written.partition,
        offset=Long(written.offset),
        timestamp=DateTime(as_datetime(written.timestamp_ms)),
    )
