"""What a stream holds in memory, in bytes: the footprint of a record, the batches of the live
feed, and the caller's account they are charged to (docs/limits.md#memory-held-per-caller).

A record is held as its bytes as written and the value decoded from them; for JSON, that value
is made of Python objects far larger than their text (`[[],[],...]` takes about 21 times its
bytes). `footprint` is an estimate that is never below what decoding can make of the bytes,
worked out from the bytes alone in a few passes at C speed, once per record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from kafka_graphql.kafka.records import Record

# The Record, its headers' tuple, the top object of its value and the stream's message for it.
RECORD_BYTES = 600
# The most one JSON element can add to the decoded value beyond its text: an empty list or
# dict (56-64 bytes) and its slot in its container (8). Elements are counted by the bytes that
# can start or separate one (`,` `:` `[` `{`), inside strings too: that can only count more.
ELEMENT_BYTES = 72
# One header: its object, its two strings' headers, its slot.
HEADER_BYTES = 200


# What a catch-up reader's consumer may hold per partition it reads, besides what the stream
# took from it: aiokafka fetches ahead, up to max_partition_fetch_bytes (1 MiB, its default)
# per partition, and keeps both the response and the batch bytes cut from it.
READER_BYTES_PER_PARTITION = 2 * 1024 * 1024


def footprint(record: Record) -> int:
    """Bytes `record` may take in memory while it is held: at least its real size."""
    size = RECORD_BYTES
    raw = record.raw_value
    if raw:
        n = len(raw)
        # The bytes, and their text: one byte a character when it is all ASCII, else up to four
        # (a string holding one character beyond U+FFFF takes four bytes for every character;
        # `\u` escapes can write such characters in ASCII).
        wide = not raw.isascii() or b"\\u" in raw
        size += 5 * n if wide else 2 * n
        size += ELEMENT_BYTES * (
            raw.count(b",") + raw.count(b":") + raw.count(b"[") + raw.count(b"{")
        )
    if record.key is not None:
        size += 4 * len(record.key)
    if record.binary_key is not None:
        size += 3 * len(record.binary_key)  # the bytes, and their base64 when delivered
    for header in record.headers:
        size += HEADER_BYTES + 4 * (len(header.key or "") + len(header.value or ""))
        size += 3 * (len(header.binary_key or b"") + len(header.binary_value or b""))
    return size


def footprints(records: Iterable[Record]) -> int:
    return sum(map(footprint, records))


class Batch:
    """One fetch of one partition as the live feed offered it. An inbox entry holds it; a caller
    is charged for it once however many of its streams hold it, and the process once however
    many callers do (the records are the same objects)."""

    __slots__ = ("_records", "_size", "holders")

    def __init__(self, records: list[Record]) -> None:
        self._records: list[Record] | None = records
        self._size = -1
        # Callers holding it (kafka_graphql/limits/memory.py).
        self.holders = 0

    @property
    def size(self) -> int:
        """Worked out on first use; the batch then lets go of its records (an inbox entry holds
        only the records that matched)."""
        if self._records is not None:
            self._size = footprints(self._records)
            self._records = None
        return self._size


class Failing(Protocol):
    def fail(self, error: BaseException) -> None: ...


class Holder(Protocol):
    """One caller's account of what its streams hold (kafka_graphql/limits/memory.py)."""

    def enter(self, stream: Failing) -> None:
        """`stream` is open: a cut back of the caller ends it (`fail`) until it `leave`s."""
        ...

    def leave(self, stream: Failing) -> None: ...

    def hold(self, batch: Batch) -> bool:
        """Charges `batch` unless the caller holds it already; False (nothing charged) when the
        caller may not hold that much more."""
        ...

    def drop(self, batch: Batch) -> None: ...

    async def fetch_turn(self, stopped: Callable[[], bool]) -> None:
        """Waits until this caller's catch-up reader may fetch: one fetch of the caller at a
        time, and only while it holds less than it may (or `stopped()`). Must be followed by
        `fetched` (with 0 when the fetch failed)."""
        ...

    def fetched(self, size: int) -> None:
        """Charges a catch-up fetch of `size` bytes and ends the turn."""
        ...

    def charge(self, size: int) -> None:
        """Charges `size` bytes (given back with `release`)."""
        ...

    async def reserve(self, size: int, stopped: Callable[[], bool]) -> None:
        """Waits until `size` more bytes fit in the caller's account (or it holds nothing, or
        `stopped()`), then charges them (given back with `release`)."""
        ...

    def release(self, size: int) -> None:
        """Gives back what `fetched` charged."""
        ...
