"""Translations between GraphQL inputs/outputs and the gateway's own values."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import strawberry

from kafka_graphql.errors import BadRequest, BadUserInput
from kafka_graphql.filters import ABSENT, FilterSpec, ValueCondition
from kafka_graphql.kafka import OutgoingRecord, ProduceAck, Record
from kafka_graphql.limits.headers import ArgumentPath, check_headers
from kafka_graphql.limits.settings import LimitsSettings
from kafka_graphql.resolvers.messages import RecordMessage
from kafka_graphql.schema.inputs import HeaderInput, MessageFilter, ValuePredicate
from kafka_graphql.schema.scalars import DateTime, Long
from kafka_graphql.schema.types import Message, ProduceResult, as_datetime


def to_message(record: Record, positions: Mapping[int, int]) -> Message:
    """`positions`: the stream's positions just after `record` (the message's cursor)."""
    return RecordMessage(record, positions)


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


def to_filter_spec(f: MessageFilter | None) -> FilterSpec | None:
    if f is None:
        return None
    return FilterSpec(
        key=f.key,
        key_prefix=f.key_prefix,
        headers=tuple((h.key, h.value) for h in f.headers or ()),
        value=tuple(_to_condition(v) for v in f.value or ()),
    )


def _to_condition(v: ValuePredicate) -> ValueCondition:
    return ValueCondition(
        path=v.path,
        eq=ABSENT if v.eq is strawberry.UNSET else v.eq,
        ne=ABSENT if v.ne is strawberry.UNSET else v.ne,
        one_of=v.in_,
        gt=v.gt,
        gte=v.gte,
        lt=v.lt,
        lte=v.lte,
        contains=v.contains,
        exists=v.exists,
    )
