"""Plain values the Kafka layer hands out. Nothing outside kafka/ ever sees an aiokafka object."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Header:
    # Text when the bytes are UTF-8; otherwise None, and the bytes in `binary_key` or
    # `binary_value` (so that no text filter or record rule can ever match them).
    key: str | None
    value: str | None
    binary_key: bytes | None = None
    binary_value: bytes | None = None


@dataclass(frozen=True, slots=True)
class Record:
    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    # The key's text; None when the record has no key, or when its key is not UTF-8: then
    # `binary_key` holds its bytes.
    key: str | None
    # Decoded once when the record is read (JSON, else text, else marked base64), then shared by
    # every subscriber and filter that looks at it.
    value: Any
    headers: tuple[Header, ...]
    # The bytes as written: typed topics decode them with their own codec (Avro is binary, and
    # Confluent's format names a schema that may have to be fetched first).
    raw_value: bytes | None = None
    binary_key: bytes | None = None
    # Why `value` is None although the record has bytes (JSON no response could carry).
    value_error: str | None = None
    # How many headers the record holds; `headers` are the first of them (reader.to_record).
    header_count: int = 0


@dataclass(frozen=True, slots=True)
class PartitionOffsets:
    partition: int
    earliest: int
    latest: int


@dataclass(frozen=True, slots=True)
class PartitionDetails:
    """Where a partition lives: its leader's broker id (-1 while it has none), the brokers that
    hold a replica and those of them in sync with the leader."""

    partition: int
    leader: int
    replicas: tuple[int, ...]
    in_sync: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class OutgoingRecord:
    value: bytes | None
    key: bytes | None = None
    headers: tuple[tuple[str, bytes | None], ...] = ()
    partition: int | None = None
    timestamp_ms: int | None = None


@dataclass(frozen=True, slots=True)
class ProduceAck:
    topic: str
    partition: int
    offset: int
    timestamp_ms: int


@dataclass(frozen=True, slots=True)
class Gap:
    """Offsets `start` <= o < `end` of `partition` that were deleted (retention, compaction of
    a whole segment, deleteRecords) before a read reached them."""

    partition: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Reset:
    """A read asked for `requested` in `partition`, past its log end (the topic was created
    again, or the position comes from another cluster): it went on at `resumed`, the end."""

    partition: int
    requested: int
    resumed: int


class Gaps:
    """What a read found gone or reset, as it found it: `gaps` and `resets` in order, and per
    partition what the next record delivered from it must report (taken once by `take`).

    Filled when a read is planned and by the readers when Kafka answers a fetch with "offset
    out of range" (kafka/reader.py); a stream looks at `waiting` (one attribute) per record,
    so a read without gaps pays nothing more."""

    __slots__ = ("_expired", "_reset", "gaps", "resets", "waiting")

    def __init__(self) -> None:
        self.gaps: list[Gap] = []
        self.resets: list[Reset] = []
        self.waiting = False
        self._expired: dict[int, int] = {}
        self._reset: set[int] = set()

    def gone(self, partition: int, start: int, end: int) -> None:
        self.gaps.append(Gap(partition, start, end))
        self._expired[partition] = self._expired.get(partition, 0) + end - start
        self.waiting = True

    def reset(self, partition: int, requested: int, resumed: int) -> None:
        self.resets.append(Reset(partition, requested, resumed))
        self._reset.add(partition)
        self.waiting = True

    def take(self, partition: int) -> tuple[int, bool]:
        """(offsets gone, whether reset) before the next record of `partition`; then cleared."""
        expired = self._expired.pop(partition, 0)
        reset = partition in self._reset
        self._reset.discard(partition)
        self.waiting = bool(self._expired or self._reset)
        return expired, reset


@dataclass(frozen=True, slots=True)
class Page:
    records: list[Record]
    # Next offset to read per partition: where the following page (or a live stream) continues.
    positions: dict[int, int]
    has_more: bool
    # What the page's reader found deleted or past the end while it read (after the plan).
    gaps: Gaps = field(default_factory=Gaps)


@dataclass(frozen=True, slots=True)
class KafkaFigures:
    """What the Kafka layer tells about itself, for the metrics (read when they are scraped)."""

    # Per (topic, partition) a shared live feed follows: the log end offset the feed's consumer
    # last heard of, minus the next offset the feed will offer (records the feed is behind).
    feed_lag: dict[tuple[str, int], int]
    # Per topic: how often its live feed's consumer was replaced by the watchdog, since start.
    feed_restarts: dict[str, int]
    # How often a wedged producer was replaced, since start.
    producer_replacements: int
