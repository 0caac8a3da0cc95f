"""What ReceiveMessages delivers: each record the caller may see, as a `ReceivedMessage` in the
caller's view (a typed topic's value decoded, masks applied), with the core's cursor, and what
the delivery budget needs of a message (core/limits/delivery.py) until it is sent."""

from __future__ import annotations

import json
from collections.abc import Mapping

import orjson

from kafka_graphql.core.auth.field_masks import FieldView
from kafka_graphql.core.cursor import CursorSealer
from kafka_graphql.core.selection import Build
from kafka_graphql.core.typed.records import Decoded, TypedRecords
from kafka_graphql.grpc.generated import gateway_pb2 as pb
from kafka_graphql.grpc.messages import timestamp
from kafka_graphql.kafka import Record


class Received:
    """One record a stream delivers; its wire message is built once it is let through."""

    __slots__ = (
        "cursors",
        "errors",
        "expired",
        "full",
        "positions",
        "record",
        "reset",
        "resume_from",
        "skipped",
    )

    def __init__(
        self,
        record: Record,
        positions: Mapping[int, int],
        cursors: CursorSealer,
        full: bool,
        errors: tuple[str, ...],
    ) -> None:
        self.record = record
        # A copy: the stream moves on while a conflating budget holds this message back.
        self.positions = dict(positions)
        self.cursors = cursors
        self.full = full
        self.errors = errors
        self.skipped = 0
        # Set by the stream on the first message of a partition after a gap (core/streams.py).
        self.expired = 0
        self.reset = False
        # Set by the budget on a message it held back with others (where to resume).
        self.resume_from: Mapping[int, int] | None = None

    def cursor(self) -> str:
        return self.cursors.seal(self.record.topic, self.positions)

    def message(self, cursor: str) -> pb.ReceivedMessage:
        record = self.record
        message = pb.ReceivedMessage(
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            timestamp=timestamp(record.timestamp_ms),
            cursor=cursor,
            skipped=self.skipped,
            value_errors=self.errors,
            expired=self.expired,
            reset=self.reset,
        )
        key = record.key.encode() if record.key is not None else record.binary_key
        if key is not None:
            message.key = key
        if record.value is not None:
            message.json = _json(record.value)
        if self.full and record.raw_value is not None:
            message.raw = record.raw_value
        for header in record.headers:
            name = header.key if header.key is not None else _latin(header.binary_key)
            value = header.value.encode() if header.value is not None else header.binary_value
            message.headers.add(key=name, value=value or b"")
        return message


def received_builder(typed: TypedRecords | None) -> Build[Received]:
    """The core's Build (core/selection.py) for a topic's stream: `record` comes with its value
    as the caller sees it already; `typed`: the topic's codec, for why a value is absent."""

    def build(
        record: Record,
        positions: Mapping[int, int],
        _decoded: Decoded | None,
        view: FieldView,
        cursors: CursorSealer,
    ) -> Received:
        errors: tuple[str, ...] = ()
        # Only for a caller who may see every field: the wording may tell of the others.
        if view.full:
            if typed is not None and record.raw_value is not None:
                # Cached: the stream decoded it already. A value that does not match the
                # schema comes as the bytes' generic reading (`json`), with the reasons.
                decoded = typed.decode_now(record)
                if decoded is not None and decoded.value is None:
                    errors = decoded.errors
            elif record.value_error is not None:
                errors = (record.value_error,)
        return Received(record, positions, cursors, view.full, errors)

    return build


def _json(value: object) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # integers beyond 64 bits, which a JSON value read from a topic may hold
        return json.dumps(value, separators=(",", ":"))


def _latin(raw: bytes | None) -> str:
    # A header name that is not UTF-8 (proto strings must be): its bytes one character each.
    return (raw or b"").decode("latin-1")
