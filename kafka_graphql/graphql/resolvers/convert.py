"""Translations between GraphQL inputs/outputs and the gateway's own values."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import strawberry

from kafka_graphql.core.cursor import CursorSealer
from kafka_graphql.core.errors import BadRequest, BadUserInput
from kafka_graphql.core.limits.headers import ArgumentPath, check_headers
from kafka_graphql.graphql.resolvers.messages import RecordMessage
from kafka_graphql.graphql.schema.inputs import HeaderInput, MessageFilter, ValuePredicate
from kafka_graphql.graphql.schema.scalars import DateTime, Long
from kafka_graphql.graphql.schema.types import Message, ProduceResult, as_datetime
from kafka_graphql.kafka import OutgoingRecord, ProduceAck, Record
from kafka_graphql.settings.limits import LimitsSettings


def to_message(record: Record, positions: Mapping[int, int], cursors: CursorSealer) -> Message:
    """`positions`: the stream's positions just after `record` (the message's cursor, sealed
    by `cursors` when it is read)."""
    return RecordMessage(record, positions, cursors)


def to_produce_result(ack: ProduceAck) -> ProduceResult:
    return ProduceResult(
        topic=ack.topic,
        partition=ack.partition,
        offset=Long(ack.offset),
        timestamp=DateTime(as_datetime(ack.timestamp_ms)),
    )


def to_outgoing(
    value: Any,
    key: str | None,
    headers: Sequence[HeaderInput] | None,
    partition: int | None,
    encode: Callable[[Any], bytes],
    limits: LimitsSettings,
    at: ArgumentPath = (),
) -> OutgoingRecord:
    """`encode` writes the value: JSON unless the topic is typed (its codec, after validation).
    `at` is where the message is in the field's arguments (("messages", 3) in a batch)."""
    check_headers(headers, limits, at)
    if partition is not None and partition < 0:
        raise BadUserInput(f"partition must not be negative, got {partition}")
    try:
        return OutgoingRecord(
            value=encode(value),
            key=key.encode() if key is not None else None,
            headers=tuple(
                (_checked_text(h.key), h.value.encode() if h.value is not None else None)
                for h in headers or ()
            ),
            partition=partition,
        )
    except UnicodeEncodeError:
        # JSON allows lone surrogates ("\ud800"); UTF-8, and so Kafka, does not.
        raise BadUserInput("text must be valid Unicode (no lone surrogates)") from None
    except ValueError:
        # NaN or an infinity (a literal such as 1e999 in the document); requests are checked
        # for them first (http_requests.loads_strict), this keeps them off the topic whatever
        # the path.
        raise BadRequest("value is not JSON: NaN and infinities have no JSON form") from None
    except RecursionError:
        raise BadUserInput("value is nested too deeply") from None


def _checked_text(text: str) -> str:
    text.encode()
    return text


def filter_plain(f: MessageFilter | None) -> dict[str, Any] | None:
    """The filter as a document writes it (GraphQL names; fields not given left out): what
    core/filters/bounds.py measures and core/filters/predicates.py compiles."""
    if f is None:
        return None
    plain: dict[str, Any] = {}
    if f.key is not None:
        plain["key"] = f.key
    if f.key_prefix is not None:
        plain["keyPrefix"] = f.key_prefix
    if f.headers is not None:
        plain["headers"] = [{"key": h.key, "value": h.value} for h in f.headers]
    if f.value is not None:
        plain["value"] = [_condition_plain(v) for v in f.value]
    return plain


def _condition_plain(v: ValuePredicate) -> dict[str, Any]:
    plain: dict[str, Any] = {"path": v.path}
    # eq/ne given as null are conditions on JSON null; left out, they are none.
    for name, operand in (("eq", v.eq), ("ne", v.ne)):
        if operand is not strawberry.UNSET:
            plain[name] = operand
    operators: tuple[tuple[str, object], ...] = (
        ("in", v.in_),
        ("gt", v.gt),
        ("gte", v.gte),
        ("lt", v.lt),
        ("lte", v.lte),
        ("contains", v.contains),
        ("exists", v.exists),
    )
    for name, value in operators:
        if value is not None:
            plain[name] = value
    return plain
