"""What a consumer group member's fetches skipped: records deleted before it read them, or a
position past a partition's end (the topic was created again), which aiokafka resets by the
instance's `auto.offset.reset` without a word.

The member knows where each partition should continue (its committed offset when it gets the
partition, then past each fetch, or where it was sought); a fetch whose first record of a
partition is not there is a jump. Jumps are also normal (compacted records, transaction
markers): only then is the partition's earliest offset asked for, once, to tell a gap (the
position is below it) from a hole. A position past the record that comes back is a reset."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from aiokafka import TopicPartition

TopicPartitionId = tuple[str, int]


class GroupGaps:
    """Per partition, where the next fetch should start (None: not known, nothing checked) and
    what the next record delivered from it must report (`take`)."""

    __slots__ = ("_next", "pending")

    def __init__(self) -> None:
        self._next: dict[TopicPartition, int | None] = {}
        # (topic, partition) -> (offsets gone, whether its position was past the end).
        self.pending: dict[TopicPartitionId, tuple[int, bool]] = {}

    def moved(self, tp: TopicPartition, offset: int | None) -> None:
        """The member was sought to `offset` (None: to its beginning or end)."""
        self._next[tp] = offset

    def forget(self, tps: Iterable[TopicPartition] | None = None) -> None:
        """Partitions taken away or given anew (None: all): their committed offsets count."""
        if tps is None:
            self._next.clear()
        else:
            for tp in tps:
                self._next.pop(tp, None)

    async def check(self, consumer: Any, batch: Mapping[TopicPartition, Sequence[Any]]) -> None:
        """Compares each partition's first record in `batch` (raw aiokafka records) with where
        it should have started; records what was skipped; moves past the batch."""
        for tp, records in batch.items():
            if not records:
                continue
            if tp not in self._next:
                committed = await consumer.committed(tp)
                self._next[tp] = None if committed is None else int(committed)
            expected, first = self._next[tp], records[0].offset
            if expected is not None and first != expected:
                await self._jumped(consumer, tp, expected, first)
            self._next[tp] = records[-1].offset + 1

    async def _jumped(self, consumer: Any, tp: TopicPartition, expected: int, first: int) -> None:
        key = (tp.topic, tp.partition)
        expired, reset = self.pending.get(key, (0, False))
        if first < expected:  # only a reset moves a position back
            self.pending[key] = (expired, True)
            return
        earliest = int((await consumer.beginning_offsets([tp]))[tp])
        if expected < earliest:
            self.pending[key] = (expired + min(earliest, first) - expected, reset)

    def take(self, topic: str, partition: int) -> tuple[int, bool]:
        return self.pending.pop((topic, partition), (0, False))
