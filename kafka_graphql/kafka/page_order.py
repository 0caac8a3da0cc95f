"""A history page worked out while its records are read, keeping only what can still be on it.

The page is defined by a merge: each partition's records, in offset order, are merged by
`(timestamp, partition)` (a k-way merge that compares the partitions' next records), and the page
is the first `limit` matches of that merge. A partition's position after the page is just past
its last record the merge passed before the `limit + 1`-th match, so the next page goes on
exactly where this one stopped.

Timestamps need not grow within a partition (producers set them), but the merge only ever
compares a partition's next record: a record with an earlier timestamp than one before it in its
partition comes out right after that one. So the merge is a plain sort by each record's
*effective* timestamp, the highest timestamp of its partition up to it, then partition, then
offset. With that order known from each record alone, the page needs, besides the matches that
may still be on it (at most `limit + 1`), only each partition's effective timestamps and the
offsets where they change (two integers per distinct timestamp), to find the positions.
"""

from __future__ import annotations

import heapq
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from kafka_graphql.kafka.records import Record


class _Scanned:
    """What one partition's scan keeps: its effective timestamps (ascending, each once) and the
    last offset read at each, and the last offset read."""

    __slots__ = ("last_offset", "offsets", "timestamps")

    def __init__(self) -> None:
        self.timestamps = array("q")
        self.offsets = array("q")
        self.last_offset: int | None = None


@dataclass(frozen=True, slots=True)
class _Match:
    effective_ms: int
    partition: int
    offset: int
    # The partition's record read before this one (None: it is the partition's first).
    previous_offset: int | None
    record: Record


class PageBuilder:
    """Takes a page's records as they are read (per partition in offset order, partitions in any
    interleaving), and gives the page: its matches in merge order and the positions after it."""

    def __init__(self, start: Mapping[int, int], partitions: Collection[int], limit: int) -> None:
        self._start = dict(start)
        self._limit = limit
        self._scanned = {p: _Scanned() for p in partitions}
        self._reached: dict[int, int] = {}
        # The smallest `limit + 1` matches so far, as a max-heap (keys negated).
        self._kept: list[tuple[int, int, int, _Match]] = []

    def add(self, record: Record, matches: bool) -> None:
        """The next record of its partition, and whether it matches the page's filter."""
        scanned = self._scanned[record.partition]
        timestamps = scanned.timestamps
        effective = record.timestamp_ms
        if timestamps and timestamps[-1] >= effective:
            effective = timestamps[-1]
            scanned.offsets[-1] = record.offset
        else:
            timestamps.append(effective)
            scanned.offsets.append(record.offset)
        previous, scanned.last_offset = scanned.last_offset, record.offset
        if matches:
            match = _Match(effective, record.partition, record.offset, previous, record)
            entry = (-effective, -record.partition, -record.offset, match)
            if len(self._kept) <= self._limit:
                heapq.heappush(self._kept, entry)
            else:
                # Keeps the smaller of the new match and the largest kept one.
                heapq.heappushpop(self._kept, entry)

    def reached(self, partition: int, position: int) -> None:
        """The scan of `partition` ended at `position` (its end, or enough matches): when every
        record read from it is on the page, the position passes over what follows the last one
        (transaction markers, compacted offsets)."""
        self._reached[partition] = position

    def result(self) -> tuple[list[Record], dict[int, int]]:
        """The page's records in merge order, and the positions that continue it."""
        matches = sorted((entry[3] for entry in self._kept), key=_order)
        stop = matches[self._limit] if len(matches) > self._limit else None
        positions = dict(self._start)
        for partition, scanned in self._scanned.items():
            last, all_taken = self._last_taken(partition, scanned, stop)
            if last is not None:
                positions[partition] = last + 1
            if all_taken and partition in self._reached:
                positions[partition] = max(positions[partition], self._reached[partition])
        return [m.record for m in matches[: self._limit]], positions

    @staticmethod
    def _last_taken(
        partition: int, scanned: _Scanned, stop: _Match | None
    ) -> tuple[int | None, bool]:
        """The last offset of `partition` the merge passes before `stop`, and whether that is
        every record read from it."""
        if stop is None:
            return scanned.last_offset, True
        if partition == stop.partition:
            return stop.previous_offset, False
        # Before `stop` in the merge: a lower effective timestamp, or the same one and a lower
        # partition.
        cut = bisect_right if partition < stop.partition else bisect_left
        taken = cut(scanned.timestamps, stop.effective_ms)
        last = scanned.offsets[taken - 1] if taken else None
        return last, taken == len(scanned.timestamps)


def _order(match: _Match) -> tuple[int, int, int]:
    return match.effective_ms, match.partition, match.offset
