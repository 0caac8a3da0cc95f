"""The one path of every write, whichever face asks: `produce` checks everything first (the
topic's scopes, the batch's size, each record's headers, partition and value, the record rule,
compaction, partitions), spends the caller's produce budget last, so that nothing is written or
charged unless everything passed, then writes and answers once Kafka acknowledged (acks=all).
`produce_each` is the same path for a face that reports Kafka's outcome record by record (REST,
as Confluent's REST Proxy does)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass

from kafka_graphql.core.access import writable_topic
from kafka_graphql.core.auth.principal import Principal
from kafka_graphql.core.errors import GatewayError, NoSuchPartition
from kafka_graphql.core.gateway import Core
from kafka_graphql.core.items import Item
from kafka_graphql.core.limits.batch import batch_refusal
from kafka_graphql.core.limits.produce import record_size
from kafka_graphql.core.new_records import GivenHeader as GivenHeader
from kafka_graphql.core.new_records import NewRecord as NewRecord
from kafka_graphql.core.new_records import RawValue as RawValue
from kafka_graphql.core.new_records import outgoing, plain_value
from kafka_graphql.core.record_access import check_compaction, checked_writes
from kafka_graphql.core.telemetry import Telemetry, Write
from kafka_graphql.kafka import OutgoingRecord, ProduceAck


@dataclass(frozen=True, slots=True)
class Written:
    """A record Kafka acknowledged."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int


async def produce(
    core: Core,
    principal: Principal,
    topic: str,
    records: Sequence[NewRecord],
    *,
    batch: str | None = None,
) -> list[Written]:
    """Writes `records` once every one of them may be written; results in their order. A batch
    (`batch`: what the caller calls it, GraphQL's `messages`) is refused as a whole, and its
    refusals name the record (`messages[3]`)."""
    # Permission first: a value is checked against the schema of a topic the caller may write.
    topic = writable_topic(core, principal, topic)
    try:
        admitted = await _admitted(core, principal, topic, records, batch)
        return await _write(core, principal, topic, admitted)
    except GatewayError as error:
        _failed(core, principal, topic, len(records), error.code)
        raise


async def produce_each(
    core: Core,
    principal: Principal,
    topic: str,
    records: Sequence[NewRecord],
    *,
    batch: str | None,
) -> list[Written | GatewayError]:
    """`produce` of a batch, the same checks and the same budget, with Kafka's outcome told
    record by record rather than as one error: each record's Written, or its own error
    (KAFKA_TIMEOUT: it may be written; any other: it is not). A refusal before the write is
    raised, and then nothing is written. `batch` as for `produce` (None: one record alone)."""
    topic = writable_topic(core, principal, topic)
    try:
        admitted = await _admitted(core, principal, topic, records, batch)
    except GatewayError as error:
        _failed(core, principal, topic, len(records), error.code)
        raise
    return await _write_each(core, principal, topic, admitted)


def _failed(core: Core, principal: Principal, topic: str, count: int, code: str) -> None:
    core.telemetry.produce_failed(principal.subject or "anonymous", topic, count, code)


@dataclass(frozen=True, slots=True)
class _Admitted:
    """Records that passed every check and were paid for: as they will be written, their
    sizes, and the trace headers the gateway added to them (`_retraced` in the send's span)."""

    records: list[OutgoingRecord]
    sizes: list[int]
    trace: Sequence[tuple[str, bytes]]


async def _admitted(
    core: Core, principal: Principal, topic: str, records: Sequence[NewRecord], batch: str | None
) -> _Admitted:
    """The records as they will be written and their sizes, once every check passed and the
    caller's produce budget paid for them."""
    if batch is not None:
        check_batch_size(core, len(records))
    items = [None if batch is None else Item(batch, i) for i in range(len(records))]
    trace = core.telemetry.record_headers()
    paired = list(zip(records, items, strict=True))
    encoded = [outgoing(core, topic, r, item, trace) for r, item in paired]
    values = [await plain_value(core, topic, r.value, item) for r, item in paired]
    checked = checked_writes(core, principal, topic, encoded, values, items)
    await check_compaction(core, principal, topic)
    partitions = await core.kafka.partitions(topic)
    for record in checked:
        if record.partition is not None and record.partition not in partitions:
            raise NoSuchPartition(
                f"topic {topic!r} has no partition {record.partition} (it has {len(partitions)})"
            )
    # The last check: nothing is written, and no rate spent, unless everything else passed.
    sizes = [record_size(r) for r in checked]
    core.limits.admit_produce(principal.id, sizes)
    return _Admitted(checked, sizes, trace)


async def _write(
    core: Core, principal: Principal, topic: str, admitted: _Admitted
) -> list[Written]:
    telemetry = core.telemetry
    sizes = admitted.sizes
    with telemetry.producing(topic) as span:
        checked = _sent(telemetry, admitted)
        sent = time.monotonic()
        try:
            acks = await core.kafka.produce(topic, checked)
        except GatewayError as error:
            span.failed(error.code)
            raise
        acked = time.monotonic() - sent
        for ack in acks:
            span.acked(ack.partition, ack.offset)
    positions = [(a.partition, a.offset) for a in acks]
    telemetry.produced(Write(principal.subject or "anonymous", topic, positions, sum(sizes), acked))
    return [Written(a.topic, a.partition, a.offset, a.timestamp_ms) for a in acks]


async def _write_each(
    core: Core, principal: Principal, topic: str, admitted: _Admitted
) -> list[Written | GatewayError]:
    telemetry = core.telemetry
    with telemetry.producing(topic) as span:
        sent = time.monotonic()
        outcomes = await core.kafka.produce_each(topic, _sent(telemetry, admitted))
        acked = time.monotonic() - sent
        failures = [o for o in outcomes if isinstance(o, GatewayError)]
        for outcome in outcomes:
            if not isinstance(outcome, GatewayError):
                span.acked(outcome.partition, outcome.offset)
        if failures:
            span.failed(failures[0].code)
    who = principal.subject or "anonymous"
    paired = zip(outcomes, admitted.sizes, strict=True)
    acks = [(o, size) for o, size in paired if isinstance(o, ProduceAck)]
    if acks:
        positions = [(a.partition, a.offset) for a, _ in acks]
        telemetry.produced(Write(who, topic, positions, sum(size for _, size in acks), acked))
    if failures:
        telemetry.produce_failed(who, topic, len(failures), failures[0].code)
    return [
        o
        if isinstance(o, GatewayError)
        else Written(o.topic, o.partition, o.offset, o.timestamp_ms)
        for o in outcomes
    ]


def _sent(telemetry: Telemetry, admitted: _Admitted) -> list[OutgoingRecord]:
    """The records to send, inside the write's PRODUCER span."""
    if not admitted.trace:
        return admitted.records
    return _retraced(admitted.records, admitted.trace, telemetry.record_headers())


def _retraced(
    records: list[OutgoingRecord],
    before: Sequence[tuple[str, bytes]],
    after: Sequence[tuple[str, bytes]],
) -> list[OutgoingRecord]:
    """`records` with the trace headers the gateway added (`before`: the operation's context,
    which their checks and sizes counted) carrying the write's own (`after`: inside its
    PRODUCER span, so that a consumer's link points at the send). The values have the same
    length (the same trace, another span id). A header the gateway added is told from one its
    caller or a record rule set by identity: only the gateway's share `before`'s objects."""
    if list(before) == list(after):
        return records
    now = dict(after)
    swap = {id(value): now[key] for key, value in before if key in now}
    return [
        dataclasses.replace(r, headers=tuple((k, swap.get(id(v), v)) for k, v in r.headers))
        for r in records
    ]


def check_batch_size(core: Core, count: int) -> None:
    limit = core.settings.limits.max_batch_size
    if not 1 <= count <= limit:
        raise batch_refusal(count, limit)
