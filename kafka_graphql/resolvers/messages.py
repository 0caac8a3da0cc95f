"""Messages whose derived fields are built only when a selection reads them.

A stream builds a message for every record it delivers, but most selections read a few of its
fields. The cursor (a JSON document, base64-encoded), the timestamp (a `datetime`) and the
headers (a list of objects) cost more than the rest together, so they are worked out from the
record on first read. Each message keeps a copy of its stream's positions just after it: the
stream moves on (a conflating stream holds messages back while it reads), the cursor must not.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from kafka_graphql.cursor import encode_cursor
from kafka_graphql.kafka import Record
from kafka_graphql.schema.scalars import Cursor, DateTime, Long
from kafka_graphql.schema.types import Header, Message, as_datetime


class RecordFields:
    """`cursor`, `timestamp` and `headers` of a message, from its record on first read.

    Listed before the Strawberry type among the bases, so these properties win over its fields;
    Strawberry resolves a plain field by reading the attribute, so the schema is the same."""

    record: Record
    positions: Mapping[int, int]
    _cursor: Cursor | None = None
    _timestamp: DateTime | None = None
    _headers: list[Header] | None = None
    # Set by the delivery budget on a message it held back with others: where a stream that
    # fails on this message resumes (before the first of them), rather than before itself.
    resume_from: Mapping[int, int] | None = None

    def _set_record(self, record: Record, positions: Mapping[int, int]) -> None:
        self.record = record
        self.positions = dict(positions)

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
            self._cursor = Cursor(encode_cursor(self.record.topic, self.positions))
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
            self._headers = [Header(key=h.key, value=h.value) for h in self.record.headers]
        return self._headers

    @headers.setter
    def headers(self, value: list[Header]) -> None:
        self._headers = value


class RecordMessage(RecordFields, Message):
    """A `Message` read from Kafka by a stream or a history read."""

    def __init__(self, record: Record, positions: Mapping[int, int]) -> None:
        self._set_record(record, positions)
        self.topic = record.topic
        self.partition = record.partition
        self.offset = Long(record.offset)
        self.key = record.key
        self.value = record.value
        self.skipped = 0


_TYPED: dict[type[Any], type[Any]] = {}


def typed_message_class(message_type: type[Any]) -> type[Any]:
    """A typed topic's generated message type with the same lazy fields (one class per type)."""
    lazy = _TYPED.get(message_type)
    if lazy is None:
        lazy = _TYPED[message_type] = _lazy_class(message_type)
    return lazy


def _lazy_class(message_type: type[Any]) -> type[Any]:

    def __init__(self: Any, record: Record, positions: Mapping[int, int], **fields: Any) -> None:
        self._set_record(record, positions)
        self.topic = record.topic
        self.partition = record.partition
        self.offset = Long(record.offset)
        self.key = record.key
        self.skipped = 0
        for name, value in fields.items():
            setattr(self, name, value)

    return type(message_type.__name__, (RecordFields, message_type), {"__init__": __init__})
