"""Messages whose derived fields are built only when a selection reads them.

A stream builds a message for every record it delivers, but most selections read a few of its
fields. The cursor (sealed: core/cursor.py), the timestamp (a `datetime`) and the
headers (a list of objects) cost more than the rest together, so they are worked out from the
record on first read. Each message keeps a copy of its stream's positions just after it: the
stream moves on (a conflating stream holds messages back while it reads), the cursor must not.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from kafka_graphql import kafka
from kafka_graphql.core.cursor import CursorSealer
from kafka_graphql.core.values import base64_text
from kafka_graphql.graphql.schema.scalars import Cursor, DateTime, Long
from kafka_graphql.graphql.schema.types import Encoding, Header, Message, as_datetime
from kafka_graphql.kafka import Record


def key_text(record: Record) -> str | None:
    """`key` as the API shows it: the key's text, or base64 when it is not UTF-8."""
    return record.key if record.binary_key is None else base64_text(record.binary_key)


def key_encoding(record: Record) -> Encoding:
    return Encoding.UTF8 if record.binary_key is None else Encoding.BASE64


def to_header(header: kafka.Header) -> Header:
    binary_key, binary_value = header.binary_key, header.binary_value
    return Header(
        key=base64_text(binary_key) if binary_key is not None else header.key or "",
        key_encoding=Encoding.UTF8 if binary_key is None else Encoding.BASE64,
        value=header.value if binary_value is None else base64_text(binary_value),
        value_encoding=Encoding.UTF8 if binary_value is None else Encoding.BASE64,
    )


class RecordFields:
    """`cursor`, `timestamp` and `headers` of a message, from its record on first read.

    Listed before the Strawberry type among the bases, so these properties win over its fields;
    Strawberry resolves a plain field by reading the attribute, so the schema is the same."""

    record: Record
    positions: Mapping[int, int]
    cursors: CursorSealer
    _cursor: Cursor | None = None
    _timestamp: DateTime | None = None
    _headers: list[Header] | None = None
    # Set by the delivery budget on a message it held back with others: where a stream that
    # fails on this message resumes (before the first of them), rather than before itself.
    resume_from: Mapping[int, int] | None = None
    # Set by the stream on the first message of a partition after a gap or a reset
    # (core/streams.py); class defaults, so that no delivery pays for them.
    expired = 0
    reset = False

    def _set_record(
        self, record: Record, positions: Mapping[int, int], cursors: CursorSealer
    ) -> None:
        self.record = record
        self.positions = dict(positions)
        self.cursors = cursors

    def resume_positions(self) -> Mapping[int, int]:
        """Where a stream that fails on this message resumes, losing nothing: at this message
        itself (or at the first of those held back with it)."""
        if self.resume_from is not None:
            return self.resume_from
        return {**self.positions, self.record.partition: self.record.offset}

    def release(self) -> None:
        """Lets go of everything this message holds, once it has been sent: frames of
        graphql-core and Strawberry keep their last message until the next one comes, and an
        idle stream must not hold a record (docs/limits.md#memory-held-per-caller)."""
        vars(self).clear()

    @property
    def cursor(self) -> Cursor:
        if self._cursor is None:
            self._cursor = Cursor(self.cursors.seal(self.record.topic, self.positions))
        return self._cursor

    @cursor.setter
    def cursor(self, value: Cursor) -> None:
        self._cursor = value

    @property
    def timestamp(self) -> DateTime:
        if self._timestamp is None:
            self._timestamp = DateTime(as_datetime(self.record.timestamp_ms))
        return self._timestamp

    @timestamp.setter
    def timestamp(self, value: datetime) -> None:
        self._timestamp = DateTime(value)

    @property
    def headers(self) -> list[Header]:
        if self._headers is None:
            self._headers = [to_header(h) for h in self.record.headers]
        return self._headers

    @headers.setter
    def headers(self, value: list[Header]) -> None:
        self._headers = value


class RecordMessage(RecordFields, Message):
    """A `Message` read from Kafka by a stream or a history read."""

    def __init__(self, record: Record, positions: Mapping[int, int], cursors: CursorSealer) -> None:
        self._set_record(record, positions, cursors)
        self.topic = record.topic
        self.partition = record.partition
        self.offset = Long(record.offset)
        if record.binary_key is None:  # inline: this runs for every message delivered
            self.key, self.key_encoding = record.key, Encoding.UTF8
        else:
            self.key, self.key_encoding = base64_text(record.binary_key), Encoding.BASE64
        self.value = record.value
        self.value_error = record.value_error
        self.header_count = record.header_count
        self.skipped = 0


_TYPED: dict[type[Any], type[Any]] = {}


def typed_message_class(message_type: type[Any]) -> type[Any]:
    """A typed topic's generated message type with the same lazy fields (one class per type)."""
    lazy = _TYPED.get(message_type)
    if lazy is None:
        lazy = _TYPED[message_type] = _lazy_class(message_type)
    return lazy


def _lazy_class(message_type: type[Any]) -> type[Any]:

    def __init__(
        self: Any,
        record: Record,
        positions: Mapping[int, int],
        cursors: CursorSealer,
        **fields: Any,
    ) -> None:
        self._set_record(record, positions, cursors)
        self.topic = record.topic
        self.partition = record.partition
        self.offset = Long(record.offset)
        self.key = key_text(record)
        self.key_encoding = key_encoding(record)
        self.header_count = record.header_count
        self.skipped = 0
        for name, value in fields.items():
            setattr(self, name, value)

    return type(message_type.__name__, (RecordFields, message_type), {"__init__": __init__})
