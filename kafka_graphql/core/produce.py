"""The one path of every write, whichever face asks: `produce` checks everything first (the
topic's scopes, the batch's size, each record's headers, partition and value, the record rule,
compaction, partitions), spends the caller's produce budget last, so that nothing is written or
charged unless everything passed, then writes and answers once Kafka acknowledged (acks=all).
`produce_each` is the same path for a face that reports Kafka's outcome record by record (REST,
as Confluent's REST Proxy does)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from kafka_graphql.core.access import writable_topic
from kafka_graphql.core.auth.principal import Principal
from kafka_graphql.core.errors import BadRequest, BadUserInput, GatewayError, NoSuchPartition
from kafka_graphql.core.gateway import Core
from kafka_graphql.core.limits.batch import batch_refusal
from kafka_graphql.core.limits.headers import ArgumentPath, check_headers
from kafka_graphql.core.limits.produce import record_size
from kafka_graphql.core.record_access import check_compaction, checked_writes
from kafka_graphql.core.telemetry import Write
from kafka_graphql.core.values import decode_value, encode_value
from kafka_graphql.kafka import OutgoingRecord, ProduceAck


class GivenHeader(Protocol):
    """A header as a face was given it: text, or bytes written as they are (a null value is a
    header without one)."""

    @property
    def key(self) -> str: ...
    @property
    def value(self) -> str | bytes | None: ...


@dataclass(frozen=True, slots=True)
class RawValue:
    """A value written as these bytes (a REST binary record), or no value at all when `data` is
    None (a tombstone). On a typed topic the bytes must be a value of its format and schema."""

    data: bytes | None


@dataclass(frozen=True, slots=True)
class NewRecord:
    """A record to write: `value` plain (JSON-like), written as JSON, or, on a typed topic,
    validated and encoded with the topic's codec; or a RawValue. A key is text (written as
    UTF-8) or bytes."""

    value: object
    key: str | bytes | None = None
    headers: Sequence[GivenHeader] | None = None
    partition: int | None = None


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
    batch: bool = False,
) -> list[Written]:
    """Writes `records` once every one of them may be written; results in their order. A batch
    (`batch`) is refused as a whole, and its refusals name the record (`messages[3]`)."""
    # Permission first: a value is checked against the schema of a topic the caller may write.
    topic = writable_topic(core, principal, topic)
    try:
        checked, sizes = await _admitted(core, principal, topic, records, batch)
        return await _write(core, principal, topic, checked, sizes)
    except GatewayError as error:
        _failed(core, principal, topic, len(records), error.code)
        raise


async def produce_each(
    core: Core, principal: Principal, topic: str, records: Sequence[NewRecord]
) -> list[Written | GatewayError]:
    """`produce` of a batch, the same checks and the same budget, with Kafka's outcome told
    record by record rather than as one error: each record's Written, or its own error
    (KAFKA_TIMEOUT: it may be written; any other: it is not). A refusal before the write is
    raised, and then nothing is written."""
    topic = writable_topic(core, principal, topic)
    try:
        checked, sizes = await _admitted(core, principal, topic, records, True)
    except GatewayError as error:
        _failed(core, principal, topic, len(records), error.code)
        raise
    return await _write_each(core, principal, topic, checked, sizes)


def _failed(core: Core, principal: Principal, topic: str, count: int, code: str) -> None:
    core.telemetry.produce_failed(principal.subject or "anonymous", topic, count, code)


async def _admitted(
    core: Core, principal: Principal, topic: str, records: Sequence[NewRecord], batch: bool
) -> tuple[list[OutgoingRecord], list[int]]:
    """The records as they will be written and their sizes, once every check passed and the
    caller's produce budget paid for them."""
    if batch:
        check_batch_size(core, len(records))
    trace = core.telemetry.record_headers()
    outgoing = [
        _outgoing(core, topic, r, i if batch else None, trace) for i, r in enumerate(records)
    ]
    values = [
        await plain_value(core, topic, r.value, i if batch else None) for i, r in enumerate(records)
    ]
    checked = checked_writes(core, principal, topic, outgoing, values, batch)
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
    return checked, sizes


async def _write(
    core: Core, principal: Principal, topic: str, checked: list[OutgoingRecord], sizes: list[int]
) -> list[Written]:
    telemetry = core.telemetry
    with telemetry.producing(topic) as span:
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
    core: Core, principal: Principal, topic: str, checked: list[OutgoingRecord], sizes: list[int]
) -> list[Written | GatewayError]:
    telemetry = core.telemetry
    with telemetry.producing(topic) as span:
        sent = time.monotonic()
        outcomes = await core.kafka.produce_each(topic, checked)
        acked = time.monotonic() - sent
        failures = [o for o in outcomes if isinstance(o, GatewayError)]
        for outcome in outcomes:
            if not isinstance(outcome, GatewayError):
                span.acked(outcome.partition, outcome.offset)
        if failures:
            span.failed(failures[0].code)
    who = principal.subject or "anonymous"
    acks = [(o, size) for o, size in zip(outcomes, sizes, strict=True) if isinstance(o, ProduceAck)]
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


async def plain_value(core: Core, topic: str, value: object, index: int | None) -> object:
    """The plain value a record's rule is checked against: `value` itself, or what a RawValue's
    bytes read as (on a typed topic, with its codec, which refuses bytes that are not one of its
    values; otherwise as a reader of the topic sees them)."""
    if not isinstance(value, RawValue):
        return value
    if value.data is None:
        return None
    typed = core.typed.get(topic)
    if typed is None:
        return decode_value(value.data)[0]
    return await typed.check_raw(value.data, index)


def check_batch_size(core: Core, count: int) -> None:
    limit = core.settings.limits.max_batch_size
    if not 1 <= count <= limit:
        raise batch_refusal(count, limit)


def _outgoing(
    core: Core,
    topic: str,
    record: NewRecord,
    index: int | None,
    trace: Sequence[tuple[str, bytes]],
) -> OutgoingRecord:
    """`index`: where the record is in a batch (its refusals say `messages[index]`); `trace`:
    headers the record carries unless its caller set the same keys (the trace context)."""
    at: ArgumentPath = () if index is None else ("messages", index)
    check_headers(record.headers, core.settings.limits, at)
    if record.partition is not None and record.partition < 0:
        raise BadUserInput(f"partition must not be negative, got {record.partition}")
    if record.key is None and record.value == RawValue(None):
        where = f"messages[{index}]: " if index is not None else ""
        raise BadUserInput(
            f"{where}a record without a value (a tombstone) needs a key: the key is what it deletes"
        )
    try:
        headers = tuple((_checked_text(h.key), _bytes(h.value)) for h in record.headers or ())
        if trace:
            given = {key for key, _ in headers}
            headers += tuple((k, v) for k, v in trace if k not in given)
        value = record.value
        return OutgoingRecord(
            value=value.data
            if isinstance(value, RawValue)
            else _encoder(core, topic, index)(value),
            key=_bytes(record.key),
            headers=headers,
            partition=record.partition,
        )
    except UnicodeEncodeError:
        # JSON allows lone surrogates ("\ud800"); UTF-8, and so Kafka, does not.
        raise BadUserInput("text must be valid Unicode (no lone surrogates)") from None
    except ValueError:
        # NaN or an infinity (a literal such as 1e999 in a GraphQL document); requests are
        # checked for them first (http/strict_json.py), this keeps them off the topic whatever
        # the path.
        raise BadRequest("value is not JSON: NaN and infinities have no JSON form") from None
    except RecursionError:
        raise BadUserInput("value is nested too deeply") from None


def _encoder(core: Core, topic: str, index: int | None) -> Callable[[object], bytes]:
    """A typed topic's values are validated and written in its format, whichever API writes."""
    typed = core.typed.get(topic)
    if typed is None:
        return encode_value
    return lambda value: typed.encode(value, index)


def _bytes(text: str | bytes | None) -> bytes | None:
    return text.encode() if isinstance(text, str) else text


def _checked_text(text: str) -> str:
    text.encode()
    return text
