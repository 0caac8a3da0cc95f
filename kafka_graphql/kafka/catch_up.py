"""A stream's catch-up: read with its own short-lived reader from its positions until level with
the shared feed, then join the feed *without an await in between* (stream.py says why that makes
the hand-off exact).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping

from kafka_graphql.core.errors import StreamInterrupted
from kafka_graphql.core.slices import Slices
from kafka_graphql.kafka.held import READER_BYTES_PER_PARTITION, Holder, footprint
from kafka_graphql.kafka.live_feed import TopicFeed
from kafka_graphql.kafka.live_subscriber import LiveSubscriber
from kafka_graphql.kafka.reader import PartitionReader
from kafka_graphql.kafka.reader_pool import ReaderPool
from kafka_graphql.kafka.records import Gaps, Record
from kafka_graphql.settings import KafkaSettings

CATCH_UP_WAIT_S = 0.1


class CatchUp:
    """One catch-up of `subscriber` on `feed`: reads with a consumer from `readers` (the gateway's
    pool) for `owner`, when given; what it holds is charged to `holder`, the caller's account.
    What its reader finds deleted (or past the end) before it reads it goes to `gaps`."""

    __slots__ = ("feed", "gaps", "holder", "owner", "readers", "settings", "subscriber")

    def __init__(
        self,
        settings: KafkaSettings,
        feed: TopicFeed,
        subscriber: LiveSubscriber,
        readers: ReaderPool | None,
        owner: str,
        holder: Holder | None,
        gaps: Gaps | None = None,
    ) -> None:
        self.settings = settings
        self.gaps = gaps
        self.feed = feed
        self.subscriber = subscriber
        self.readers = readers
        self.owner = owner
        self.holder = holder

    async def read(
        self, positions: dict[int, int], predicate: Callable[[Record], bool], slices: Slices
    ) -> AsyncIterator[Record]:
        """The records matching `predicate` from `positions` until level with the feed, which it
        then joins. Updates `positions`.

        Returns without joining when the subscriber is closed or failed, or the topic grew
        partitions (the caller then starts a new reader that includes them). What the reader's
        consumer may fetch ahead is charged to the caller's account before it is opened, and each
        fetch until the next."""
        if self._joined(positions):
            return
        feed, holder, stopped = self.feed, self.holder, _stopped(self.subscriber)
        reserved = READER_BYTES_PER_PARTITION * len(positions) if holder is not None else 0
        if holder is not None:
            await holder.reserve(reserved, stopped)
        # Emptied after each fetch, so that nothing of it is kept while the next one is awaited.
        records: Iterator[Record] | None = None
        record: Record | None = None
        try:
            async with self._reader(positions) as reader:
                while not stopped():
                    fetched = await _fetch(reader, holder, stopped)
                    # Records are decoded as they are read (reader.py): each is charged to the
                    # caller's account as it is, and all of them given back once the fetch is
                    # done.
                    size = 0
                    try:
                        for partition, records in fetched.items():
                            for record in records:
                                if holder is not None:
                                    held = footprint(record)
                                    size += held
                                    holder.charge(held)
                                try:
                                    matches = predicate(record)
                                except Exception as error:  # the stream's own failure, on it
                                    raise StreamInterrupted(
                                        feed.topic, {**positions, partition: record.offset}, error
                                    ) from error
                                positions[partition] = record.offset + 1
                                if matches:
                                    yield record
                                # Pauses come before the level check below, never between it
                                # and the join.
                                if slices.due():
                                    await slices.pause()
                    finally:
                        if holder is not None:
                            holder.release(size)
                    fetched, records, record = {}, None, None
                    if await self._done_after_fetch(reader, positions):
                        return
        finally:
            if holder is not None:
                holder.release(reserved)

    def _reader(self, positions: dict[int, int]) -> PartitionReader:
        return PartitionReader(
            self.settings, self.feed.topic, positions, self.readers, self.owner, self.gaps
        )

    def _joined(self, positions: dict[int, int]) -> bool:
        """Joins the feed at once when `positions` are level with it."""
        feed, subscriber = self.feed, self.subscriber
        for partition in feed.positions:
            if subscriber.wants(partition):
                # A partition the stream has never seen (the topic grew): all of it is new.
                positions.setdefault(partition, 0)
        if level_with(feed, subscriber, positions):
            feed.join(subscriber, positions)
            return True
        return False

    async def _done_after_fetch(self, reader: PartitionReader, positions: dict[int, int]) -> bool:
        """After a fetch: moves `positions` to the reader's, then whether the catch-up is over
        (joined, or the topic grew partitions)."""
        feed, subscriber = self.feed, self.subscriber
        for partition in list(positions):
            # Past transaction markers and compacted gaps too, not just the last one.
            position = await reader.position(partition)
            positions[partition] = max(positions[partition], position)
        # No await from here to the join.
        if any(p not in positions for p in feed.positions if subscriber.wants(p)):
            return True
        if level_with(feed, subscriber, positions):
            feed.join(subscriber, positions)
            return True
        return False


def _stopped(subscriber: LiveSubscriber) -> Callable[[], bool]:
    return lambda: subscriber.closed or subscriber.failure is not None


async def _fetch(
    reader: PartitionReader, holder: Holder | None, stopped: Callable[[], bool]
) -> dict[int, Iterator[Record]]:
    """One fetch: one at a time for a caller, and only while it holds less than it may."""
    if holder is None:
        return await reader.fetch(CATCH_UP_WAIT_S)
    await holder.fetch_turn(stopped)
    try:
        return await reader.fetch(CATCH_UP_WAIT_S)
    finally:
        holder.fetched(0)


def level_with(feed: TopicFeed, subscriber: LiveSubscriber, positions: Mapping[int, int]) -> bool:
    return all(
        positions.get(p, 0) >= offset for p, offset in feed.positions.items() if subscriber.wants(p)
    )
