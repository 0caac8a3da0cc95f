"""The one path of every write, whichever face asks: `produce` checks everything first (the
topic's scopes, the batch's size, each record's headers, partition and value, the record rule,
compaction, partitions), spends the caller's produce budget last, so that nothing is written or
charged unless everything passed, then writes and answers once Kafka acknowledged (acks=all)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from kafka_graphql.core.access import writable_topic
from kafka_graphql.core.auth.principal import Principal
from kafka_graphql.core.errors import BadRequest, BadUserInput, GatewayError
from kafka_graphql.core.gateway import Core
from kafka_graphql.core.limits.batch import batch_refusal
from kafka_graphql.core.limits.headers import ArgumentPath, check_headers
from kafka_graphql.core.limits.produce import record_size
from kafka_graphql.core.record_access import check_compaction, checked_writes
from kafka_graphql.core.telemetry import Write
from kafka_graphql.core.values import encode_value
from kafka_graphql.kafka import OutgoingRecord


class GivenHeader(Protocol):
    """A header as a face was given it (text; a null value is a header without one)."""

    @property
    def key(self) -> str: ...
    @property
    def value(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class NewRecord:
    """A record to write: `value` plain (JSON-like), written as JSON, or, on a typed topic,
    validated and encoded with the topic's codec."""

    value: object
    key: str | None = None
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
        return await _write(core, principal, topic, records, batch)
    except GatewayError as error:
        who = principal.subject or "anonymous"
        core.telemetry.produce_failed(who, topic, len(records), error.code)
        raise


async def _write(
    core: Core, principal: Principal, topic: str, records: Sequence[NewRecord], batch: bool
) -> list[Written]:
    if batch:
        check_batch_size(core, len(records))
    trace = core.telemetry.record_headers()
    outgoing = [
        _outgoing(core, topic, r, i if batch else None, trace) for i, r in enumerate(records)
    ]
    values = [r.value for r in records]
    checked = checked_writes(core, principal, topic, outgoing, values, batch)
    await check_compaction(core, principal, topic)
    partitions = await core.kafka.partitions(topic)
    for record in checked:
        if record.partition is not None and record.partition not in partitions:
            raise BadUserInput(
                f"topic {topic!r} has no partition {record.partition} (it has {len(partitions)})"
            )
    # The last check: nothing is written, and no rate spent, unless everything else passed.
    sizes = [record_size(r) for r in checked]
    core.limits.admit_produce(principal.id, sizes)
    telemetry = core.telemetry
    with telemetry.producing(topic) as span:
        if trace:
            checked = _retraced(checked, trace, telemetry.record_headers())
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
    try:
        headers = tuple(
            (_checked_text(h.key), h.value.encode() if h.value is not None else None)
            for h in record.headers or ()
        )
        if trace:
            given = {key for key, _ in headers}
            headers += tuple((k, v) for k, v in trace if k not in given)
        return OutgoingRecord(
            value=_encoder(core, topic, index)(record.value),
            key=record.key.encode() if record.key is not None else None,
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


def _checked_text(text: str) -> str:
    text.encode()
    return text
