"""What a push stream (`GET /topics/{topic}/records`, rest/push.py) reads from its request and
writes to its client: where it starts and its filter, from the query and `Last-Event-ID`; each
record as a Server-Sent Event in the consumer API's shape, with the core's cursor as its id;
the error that ends a stream."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from multidict import MultiMapping

from kafka_graphql import kafka
from kafka_graphql.core.auth.field_masks import FieldView
from kafka_graphql.core.cursor import CursorSealer
from kafka_graphql.core.reads import OnGap, Start
from kafka_graphql.core.selection import MessageFilter
from kafka_graphql.core.typed.records import Decoded
from kafka_graphql.core.values import base64_text
from kafka_graphql.http.event_stream import sse
from kafka_graphql.http.strict_json import dumps
from kafka_graphql.kafka import Record
from kafka_graphql.rest.errors import RestError

BEGINNING = "beginning"
END = "end"
HEADER_PARAMETER = "header."
FILTER_PARAMETERS = ("key", "keyPrefix")


def start_of(query: MultiMapping[str], last_event_id: str | None) -> Start:
    """Where the stream starts: right after `Last-Event-ID` (a reconnecting client's last event,
    or the cursor its stream ended with), else `from`: `beginning`, `end` (the default) or a
    cursor. `on_gap`: `report` (the default) or `fail` (docs/rest.md, records gone)."""
    on_gap = _on_gap(query)
    if last_event_id:
        return Start(after=last_event_id, on_gap=on_gap)
    start = _single(query, "from")
    if start is None or start == END:
        return Start(on_gap=on_gap)
    if start == BEGINNING:
        # Whatever each partition still holds: nothing before it is a gap.
        return Start(beginning=True, on_gap=on_gap)
    return Start(after=start, on_gap=on_gap)


def _on_gap(query: MultiMapping[str]) -> OnGap:
    value = _single(query, "on_gap")
    if value is None or value == "report":
        return "REPORT"
    if value == "fail":
        return "FAIL"
    raise RestError(400, "query parameter `on_gap` must be `report` or `fail`")


def filter_of(query: MultiMapping[str]) -> MessageFilter:
    """The GraphQL API's filter from the query: `key`, `keyPrefix`, `header.<name>=<value>`."""
    plain: dict[str, Any] = {}
    headers: list[dict[str, str]] = []
    for name in dict.fromkeys(query):
        value = _single(query, name)
        if name in FILTER_PARAMETERS:
            plain[name] = value
        elif name.startswith(HEADER_PARAMETER) and len(name) > len(HEADER_PARAMETER):
            headers.append({"key": name.removeprefix(HEADER_PARAMETER), "value": value or ""})
        elif name not in ("from", "on_gap"):
            raise RestError(
                400,
                f"unknown query parameter `{name}` (from, on_gap, key, keyPrefix, header.<name>)",
            )
    if headers:
        plain["headers"] = headers
    return MessageFilter(plain or None)


def _single(query: MultiMapping[str], name: str) -> str | None:
    values = query.getall(name, [])
    if len(values) > 1:
        raise RestError(400, f"query parameter `{name}` given more than once")
    return values[0] if values else None


class PushMessage:
    """One record a push stream delivers: what the delivery budget needs of a message
    (core/limits/delivery.py) and what the event is written from."""

    __slots__ = ("cursors", "expired", "positions", "record", "reset", "resume_from", "skipped")

    def __init__(self, record: Record, positions: Mapping[int, int], cursors: CursorSealer) -> None:
        self.record = record
        # A copy: the stream moves on while a conflating budget holds this message back.
        self.positions = dict(positions)
        self.cursors = cursors
        self.skipped = 0
        # Set by the stream on the first record of a partition after a gap or a reset.
        self.expired = 0
        self.reset = False
        # Set by the budget on a message it held back with others (where to resume, losing none).
        self.resume_from: Mapping[int, int] | None = None

    def resume_positions(self) -> Mapping[int, int]:
        if self.resume_from is not None:
            return self.resume_from
        return {**self.positions, self.record.partition: self.record.offset}

    def cursor(self) -> str:
        return self.cursors.seal(self.record.topic, self.positions)

    def event(self, cursor: str) -> bytes:
        shape = record_shape(self.record)
        if self.expired or self.reset:
            gone(shape, self.expired, self.reset)
        return sse(dumps(shape), event_id=cursor)


def build_push_message(
    record: Record,
    positions: Mapping[int, int],
    _decoded: Decoded | None,
    _view: FieldView,
    cursors: CursorSealer,
) -> PushMessage:
    """The core's Build (core/selection.py): `record` comes with its value as the caller sees
    it already."""
    return PushMessage(record, positions, cursors)


def record_shape(record: Record) -> dict[str, Any]:
    """The consumer API's record: the key's text (base64 when it is not UTF-8), the value as the
    GraphQL API shows it (JSON, else text, else marked base64), headers as produce takes them."""
    key = record.key if record.binary_key is None else base64_text(record.binary_key)
    return {
        "topic": record.topic,
        "key": key,
        "value": record.value,
        "partition": record.partition,
        "offset": record.offset,
        "headers": [_header(h) for h in record.headers],
    }


def gone(shape: dict[str, Any], expired: int, reset: bool) -> None:
    """A record's shape (`record_shape`) with what was gone before it: `expired`, the offsets
    of its partition deleted before it was read; `reset`, when the read's position was past
    the partition's end and it went on from there. Both left out when there is nothing to say
    (docs/rest.md)."""
    if expired:
        shape["expired"] = expired
    if reset:
        shape["reset"] = True


def _header(header: kafka.Header) -> dict[str, str | None]:
    name = header.key if header.binary_key is None else base64_text(header.binary_key)
    raw = header.binary_value if header.value is None else header.value.encode()
    return {
        "name": name or "",
        "value": base64.b64encode(raw).decode() if raw is not None else None,
    }


def error_event(body: Mapping[str, Any], cursor: str | None, retry_ms: int | None) -> bytes:
    """The event that ends a stream: Confluent's error body and the cursor to resume from, also
    as the event's id (a browser's EventSource reconnects with it as `Last-Event-ID`)."""
    return sse(dumps({**body, "cursor": cursor}), event_id=cursor, event="error", retry=retry_ms)
