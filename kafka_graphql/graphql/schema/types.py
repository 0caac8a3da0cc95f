"""Output object types. Plain data: they hold values and never call Kafka."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from kafka_graphql.graphql.schema.instants import instant
from kafka_graphql.graphql.schema.scalars import JSON, Cursor, DateTime, Long


@strawberry.enum(description="How a String field carries bytes that Kafka stores.")
class Encoding(Enum):
    UTF8 = strawberry.enum_value(
        "UTF8", description="The bytes are UTF-8: the field is their text."
    )
    BASE64 = strawberry.enum_value(
        "BASE64",
        description="The bytes are not UTF-8: the field is their standard base64 (RFC 4648, "
        "with padding). No filter matches them.",
    )


@strawberry.type(description="A Kafka record header.")
class Header:
    key: str = strawberry.field(
        description="The header's name: its text, or its bytes in base64 when `keyEncoding` "
        "is BASE64."
    )
    key_encoding: Encoding = strawberry.field(description="How `key` carries the name's bytes.")
    value: str | None = strawberry.field(
        description="The header's value: its text, or its bytes in base64 when "
        "`valueEncoding` is BASE64; null for a null value."
    )
    value_encoding: Encoding = strawberry.field(
        description="How `value` carries the value's bytes (UTF8 for a null value)."
    )


@strawberry.type(description="One partition of a topic and the offsets it currently holds.")
class Partition:
    id: int
    earliest_offset: Long = strawberry.field(description="First offset still stored.")
    latest_offset: Long = strawberry.field(
        description="Offset the next record will get (the high watermark)."
    )


KEY_DOC = (
    "The record's key: its text, or its bytes in base64 when `keyEncoding` is BASE64; null "
    "when the record has no key."
)
KEY_ENCODING_DOC = "How `key` carries the key's bytes (UTF8 for a null key)."
HEADERS_DOC = (
    "The record's headers, in order: at most `limits.max_headers_per_record` of them (64 by "
    "default), the first; filters and record rules see the same ones."
)
HEADER_COUNT_DOC = (
    "How many headers the record holds: more than `headers` lists when another producer wrote "
    "more than `limits.max_headers_per_record`."
)

SKIPPED_DOC = (
    "How many matching messages of this key were conflated away on this subscription since "
    "its previous delivery, because the caller's delivery budget was spent "
    '(`limits.subscription_overflow = "conflate"`); 0 otherwise, and always 0 in a history '
    "read."
)


EXPIRED_DOC = (
    "How many offsets of this partition were gone (deleted by retention, compaction or "
    "deleteRecords) between where this subscription was to read next and this message: "
    "records it can never deliver, whatever they held. Set on the first message of the "
    "partition after the gap (at the start of a replay, or when a stream fell behind "
    "retention while it ran); 0 otherwise, and always 0 in a history read (a page reports "
    '`gaps`). See docs/api.md, "When records are gone".'
)
RESET_DOC = (
    "True on the first message of this partition after the subscription's starting position "
    "(a cursor or fromOffset) was past the partition's end (the topic was created again, or "
    "the cursor is from another cluster): the stream went on from the partition's end instead. "
    "False otherwise."
)


@strawberry.enum(description="What a read does when records it would read are gone.")
class OnGap(Enum):
    REPORT = strawberry.enum_value(
        "REPORT",
        description="Go on with what is still stored, and say what was skipped: a page's "
        "`gaps` and `resets`, a message's `expired` and `reset`.",
    )
    FAIL = strawberry.enum_value(
        "FAIL",
        description="Answer the error CURSOR_EXPIRED instead, before any record is sent "
        "(`extensions.earliest`: each partition's earliest offset still stored). A stream "
        "that falls behind retention later ends with the same error.",
    )


@strawberry.type(
    description="Offsets of a partition that were gone (deleted by retention, compaction or "
    "deleteRecords) when the read got there: `from` <= offset < `to`. Their records can never "
    "be read; the read went on at `to`."
)
class Gap:
    partition: int
    from_: Long = strawberry.field(name="from", description="The first offset gone.")
    to: Long = strawberry.field(
        description="Just past the last offset gone: the earliest offset still stored."
    )


@strawberry.type(
    description="A partition whose starting position (a cursor or fromOffset) was past its "
    "end: the topic was created again (its offsets started over) or the cursor is another "
    "cluster's. The read went on from the partition's end, `resumedAt`."
)
class PartitionReset:
    partition: int
    requested: Long = strawberry.field(description="The position the read was asked for.")
    resumed_at: Long = strawberry.field(
        description="Where it read from instead: the partition's end then."
    )


GAPS_DOC = (
    "Offsets this page's read found gone before it got to them (its start was below a "
    "partition's earliest offset, or they were deleted while it read), per partition; empty "
    "when nothing was skipped."
)
RESETS_DOC = (
    "Partitions whose starting position was past their end, read from the end instead; "
    "empty when none was."
)


@strawberry.type(description="A record read from Kafka.")
class Message:
    topic: str
    partition: int
    offset: Long
    timestamp: DateTime
    key: str | None = strawberry.field(description=KEY_DOC)
    key_encoding: Encoding = strawberry.field(description=KEY_ENCODING_DOC)
    value: JSON | None = strawberry.field(
        description="The record's JSON value. Bytes that are not JSON arrive as their UTF-8 text, "
        'or, failing that, as {"$binary": {"encoding": "base64", "data": "..."}}. Null for a '
        "tombstone, and for JSON that cannot be delivered (`valueError` says why)."
    )
    value_error: str | None = strawberry.field(
        description="Why `value` is null although the record holds a value: JSON that no "
        "response can carry (an integer of more than 4,300 digits, a number beyond a double, "
        "arrays and objects nested more than 254 levels). Null when `value` is the record's "
        "value, and for a tombstone."
    )
    headers: list[Header] = strawberry.field(description=HEADERS_DOC)
    header_count: int = strawberry.field(description=HEADER_COUNT_DOC)
    cursor: Cursor = strawberry.field(
        description="Where this message is. Pass it as `after` (with the same filter and "
        "partitions) to continue right after it, on this or any other gateway instance."
    )
    skipped: int = strawberry.field(description=SKIPPED_DOC)
    expired: int = strawberry.field(description=EXPIRED_DOC)
    reset: bool = strawberry.field(description=RESET_DOC)


@strawberry.type(description="One page of a bounded history read.")
class MessagePage:
    messages: list[Message]
    gaps: list[Gap] = strawberry.field(description=GAPS_DOC)
    resets: list[PartitionReset] = strawberry.field(description=RESETS_DOC)
    next_cursor: Cursor = strawberry.field(
        description="Continues after this page: pass it to `messages(after:)` or to the "
        "`messages` subscription to go live from here."
    )
    has_more: bool = strawberry.field(
        description="True when the topic held more records past this page when it was read."
    )


@strawberry.type(description="Relay's page information of a typed topic's connection.")
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="True when the topic held more records past this page when it was read."
    )
    has_previous_page: bool = strawberry.field(
        description="Always false: reads go forward (Relay allows false when it is not known)."
    )
    start_cursor: Cursor | None = strawberry.field(
        description="The first edge's cursor; null when the page has no edges."
    )
    end_cursor: Cursor | None = strawberry.field(
        description="Continues right after every record this page read (also those the filter "
        "passed over): pass it as `after` to the query or to the subscription. Never null."
    )


@strawberry.type(description="Where Kafka stored a produced message (acknowledged with acks=all).")
class ProduceResult:
    topic: str
    partition: int
    offset: Long
    timestamp: DateTime


def as_datetime(timestamp_ms: int) -> datetime:
    # Any int64 (another producer's year 10000 too): graphql/schema/instants.py.
    return instant(timestamp_ms)
