"""Mutation resolvers: writes to Kafka, answered once Kafka acknowledged them (acks=all)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kafka_graphql.core.errors import BadUserInput
from kafka_graphql.core.limits.batch import batch_refusal
from kafka_graphql.core.limits.produce import record_size
from kafka_graphql.core.values import encode_value
from kafka_graphql.graphql.context import Context, Info
from kafka_graphql.graphql.resolvers.access import writable_topic
from kafka_graphql.graphql.resolvers.convert import to_outgoing, to_produce_result
from kafka_graphql.graphql.resolvers.record_access import check_compaction, checked_writes
from kafka_graphql.graphql.schema.inputs import HeaderInput, MessageInput
from kafka_graphql.graphql.schema.scalars import JSON
from kafka_graphql.graphql.schema.types import ProduceResult
from kafka_graphql.kafka import OutgoingRecord


async def resolve_produce(
    info: Info,
    topic: str,
    value: JSON,
    key: str | None = None,
    headers: list[HeaderInput] | None = None,
    partition: int | None = None,
) -> ProduceResult:
    # Permission first: a value is checked against the schema of a topic the caller may write.
    topic = writable_topic(info.context, topic)
    encode = _encoder(info.context, topic, None)
    limits = info.context.settings.limits
    record = to_outgoing(value, key, headers, partition, encode, limits)
    return (await produce_records(info.context, topic, [record], [value]))[0]


async def resolve_produce_batch(
    info: Info, topic: str, messages: list[MessageInput]
) -> list[ProduceResult]:
    topic = writable_topic(info.context, topic)
    check_batch_size(info.context, len(messages))
    # Every message is checked (and encoded) before anything is written.
    limits = info.context.settings.limits
    records = [
        to_outgoing(
            m.value,
            m.key,
            m.headers,
            m.partition,
            _encoder(info.context, topic, i),
            limits,
            ("messages", i),
        )
        for i, m in enumerate(messages)
    ]
    values = [m.value for m in messages]
    return await produce_records(info.context, topic, records, values, batch=True)


def _encoder(context: Context, topic: str, index: int | None) -> Callable[[Any], bytes]:
    """A typed topic's values are validated and written in its format, whichever API writes."""
    typed = context.typed.get(topic)
    if typed is None:
        return encode_value
    return lambda value: typed.encode(value, index)


def check_batch_size(context: Context, count: int) -> None:
    limit = context.settings.limits.max_batch_size
    if not 1 <= count <= limit:
        raise batch_refusal(count, limit)


async def produce_records(
    context: Context,
    topic: str,
    records: Sequence[OutgoingRecord],
    values: Sequence[object],
    batch: bool = False,
) -> list[ProduceResult]:
    """Writes `records` (encoded from the plain `values`) once every one of them may be
    written: the topic's scopes, its record-level rule (which may stamp a header), partitions."""
    topic = writable_topic(context, topic)
    records = checked_writes(context, topic, records, values, batch)
    await check_compaction(context, topic)
    partitions = await context.kafka.partitions(topic)
    for record in records:
        if record.partition is not None and record.partition not in partitions:
            raise BadUserInput(
                f"topic {topic!r} has no partition {record.partition} (it has {len(partitions)})"
            )
    # The last check: nothing is written, and no rate spent, unless everything else passed.
    context.limits.admit_produce(context.principal.id, [record_size(r) for r in records])
    acks = await context.kafka.produce(topic, records)
    return [to_produce_result(ack) for ack in acks]
