"""How large a stream's message will be on the wire, bounded before it is encoded
(`limits.max_frame_bytes`, docs/limits.md#memory-held-per-caller).

Aliases multiply a record in a message: thirty aliases of a 1 MB `value` make a 30 MB frame
(and each character JSON must escape takes six). Such a frame is refused before it is encoded,
so that it is never built: its stream ends with LIMIT_EXCEEDED and the cursor of that message.
One copy of a record is always let through, however large (a topic's `max.message.bytes` may
be raised far beyond the default): what is refused is the copies.

Most records are far too small for any selection the limits allow to reach the bound; for those
nothing is checked (`may_exceed`). For the others, the result is walked (each object once, the
record's own value by its size), stopping as soon as the bound is passed.
"""

from __future__ import annotations

from typing import Any

from kafka_graphql.core.errors import LimitExceeded
from kafka_graphql.kafka import Record
from kafka_graphql.settings.limits import LimitsSettings

# What a message holds that does not grow with the record (its offset, timestamp, topic name,
# `__typename`s, the frame around it), beyond its cursor, for every copy of it.
FIXED_BYTES = 2048
# A cursor's bytes per partition of its stream (digits, quotes, base64, sealing), generously.
CURSOR_BYTES_PER_PARTITION = 80
# The most a record's bytes can grow when its value is written again as JSON: a character
# JSON escapes takes six bytes (`\u0001`; the fallback encoder, json.dumps, escapes every
# non-ASCII character, twelve for one beyond U+FFFF: three times its four UTF-8 bytes).
ESCAPED = 6
# A number written shorter than Python writes it back (`1e15` is `1000000000000000.0`).
NUMBER_GROWTH = 16


_CONTROLS = bytes(range(32))


def text_bound(text: str) -> int:
    """At least what `text` takes as a JSON string, with either encoder (http_requests.dumps):
    ASCII as it is but for quotes, backslashes and control characters; anything else escaped
    by the fallback encoder."""
    n = len(text)
    if text.isascii():
        raw = text.encode("ascii")
        controls = n - len(raw.translate(None, _CONTROLS))
        return n + raw.count(b'"') + raw.count(b"\\") + (ESCAPED - 1) * controls + 2
    return (2 * ESCAPED if max(text) > "\uffff" else ESCAPED) * n + 2


def json_bound(raw: bytes) -> int:
    """At least what the JSON object or array decoded from `raw` takes written again: no more
    than its bytes (strings are escaped no more than they had to be), except that the fallback
    encoder escapes each non-ASCII character (at most three times its UTF-8 bytes) and Python
    writes some numbers longer (`1e15`, `12345678901234567.0`)."""
    n = len(raw) if raw.isascii() else 3 * len(raw)
    exponents = raw.count(b"e") + raw.count(b"E")
    return n + NUMBER_GROWTH * exponents + 4 * raw.count(b".") + 2


def _is_container(raw: bytes) -> bool:
    return raw.lstrip()[:1] in (b"{", b"[")


def record_bytes(record: Record) -> int:
    """The record's bytes as written (keys and header values that are not UTF-8 are delivered
    in base64: a third more)."""
    size = len(record.raw_value or b"") + len(record.key or "")
    size += 2 * len(record.binary_key or b"")
    for header in record.headers:
        size += len(header.key or "") + len(header.value or "")
        size += 2 * (len(header.binary_key or b"") + len(header.binary_value or b""))
    return size


def may_exceed(limits: LimitsSettings, record: Record, partitions: int) -> bool:
    """False when no selection within `limits` can make a message of `record` (in a stream of
    `partitions` partitions) larger than `limits.max_frame_bytes`."""
    copies = limits.max_aliases + 1
    largest = copies * (
        2 * ESCAPED * record_bytes(record) + FIXED_BYTES + CURSOR_BYTES_PER_PARTITION * partitions
    )
    return largest > limits.max_frame_bytes


def check_frame(limits: LimitsSettings, record: Record, partitions: int, data: Any) -> None:
    """Raises LimitExceeded when the result `data` of a message of `record` could encode to
    more than `limits.max_frame_bytes`, or than one copy of the record when that is larger
    (every record Kafka holds can be delivered: only copies of it are refused)."""
    if not may_exceed(limits, record, partitions):
        return
    raw = record.raw_value or b""
    # The record's own value, when it is a JSON object or array, is bounded by its bytes rather
    # than walked (any other value is a string, or small, and walked).
    value_bound = json_bound(raw) if _is_container(raw) else None
    one_copy = (
        _Bound(1 << 62, record.value, value_bound).of(record.value)
        + 2 * ESCAPED * (record_bytes(record) - len(raw))
        + FIXED_BYTES
        + CURSOR_BYTES_PER_PARTITION * partitions
    )
    limit = max(limits.max_frame_bytes, one_copy)
    if _Bound(limit, record.value, value_bound).of(data) > limit:
        raise LimitExceeded(
            f"a message of this stream would take more than {limit} bytes "
            "(limits.max_frame_bytes): its record is large and the selection writes it "
            "several times (aliases); resubscribe with a smaller selection and `after` set to "
            "extensions.cursor to continue from this message"
        )


class _Bound:
    """An upper bound of the encoded size of a value, walking each object once (a repeat, such
    as an alias of the same value, counts what it counted the first time)."""

    def __init__(self, limit: int, value: Any, value_bound: int | None) -> None:
        self._limit = limit
        self._known: dict[int, int] = {}
        if value_bound is not None and isinstance(value, dict | list):
            self._known[id(value)] = value_bound

    def of(self, data: Any) -> int:
        """Stops as soon as the bound passes the limit (the total is then above it)."""
        total = 0
        # Post-order: a container's own total is known once its items are counted; `opened`
        # holds the totals of the containers being counted.
        opened: list[int] = []
        stack: list[tuple[Any, bool]] = [(data, False)]
        while stack and total <= self._limit:
            item, closing = stack.pop()
            if closing:
                size = total - opened.pop()
                self._known[id(item)] = size
            elif isinstance(item, str):
                total += text_bound(item)
            elif isinstance(item, dict | list):
                known = self._known.get(id(item))
                if known is not None:
                    total += known
                    continue
                opened.append(total)
                total += 2 + len(item)
                stack.append((item, True))
                children = (*item.keys(), *item.values()) if isinstance(item, dict) else item
                stack.extend((child, False) for child in children)
            elif isinstance(item, int) and not isinstance(item, bool):
                total += len(str(item)) if abs(item) > 1 << 64 else 24
            else:
                total += 32  # a float, true, false, null
        return total
