"""A record as a face gives it to the core's write path (`NewRecord`), and as Kafka is sent it
(`outgoing`): its headers checked against the caps, its value encoded (JSON, a typed topic's
codec, or bytes as they are), and the plain value its record rule is checked against
(`plain_value`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from kafka_graphql.core.errors import BadRequest, BadUserInput
from kafka_graphql.core.gateway import Core
from kafka_graphql.core.items import Item
from kafka_graphql.core.limits.headers import ArgumentPath, check_headers
from kafka_graphql.core.values import decode_value, encode_value
from kafka_graphql.kafka import OutgoingRecord


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
    # The record's timestamp (milliseconds since the epoch); None: the producer's clock.
    timestamp_ms: int | None = None


async def plain_value(core: Core, topic: str, value: object, item: Item | None) -> object:
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
    return await typed.check_raw(value.data, item)


def outgoing(
    core: Core,
    topic: str,
    record: NewRecord,
    item: Item | None,
    trace: Sequence[tuple[str, bytes]],
) -> OutgoingRecord:
    """`item`: where the record is in a batch (its refusals say `messages[3]`); `trace`:
    headers the record carries unless its caller set the same keys (the trace context)."""
    at: ArgumentPath = () if item is None else item.path
    check_headers(record.headers, core.settings.limits, at)
    if record.partition is not None and record.partition < 0:
        raise BadUserInput(f"partition must not be negative, got {record.partition}")
    if record.key is None and record.value == RawValue(None):
        where = f"{item}: " if item is not None else ""
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
            value=value.data if isinstance(value, RawValue) else _encoder(core, topic, item)(value),
            key=_bytes(record.key),
            headers=headers,
            partition=record.partition,
            timestamp_ms=record.timestamp_ms,
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


def _encoder(core: Core, topic: str, item: Item | None) -> Callable[[object], bytes]:
    """A typed topic's values are validated and written in its format, whichever API writes."""
    typed = core.typed.get(topic)
    if typed is None:
        return encode_value
    return lambda value: typed.encode(value, item)


def _bytes(text: str | bytes | None) -> bytes | None:
    return text.encode() if isinstance(text, str) else text


def _checked_text(text: str) -> str:
    text.encode()
    return text
