"""A subscription's record stream: replay from a position, then live, with an exact hand-off.

Positions are "next offset to read" per partition. A stream that starts behind the shared feed
reads with its own short-lived reader until, for every partition it follows, its position is at or
past the feed's. It then joins the feed *without an await in between*, telling it to skip anything
below its own positions. So nothing is lost (the feed offers everything from its position on) and
nothing repeats (the subscriber ignores what the reader already delivered). A subscriber that
overflows its inbox is detached and goes through the same catch-up again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping

from kafka_graphql.kafka.live import LiveHub, LiveSubscriber, TopicFeed
from kafka_graphql.kafka.live_index import IndexHint
from kafka_graphql.kafka.reader import PartitionReader
from kafka_graphql.kafka.reader_pool import ReaderPool
from kafka_graphql.kafka.records import Record
from kafka_graphql.settings import KafkaSettings
from kafka_graphql.slices import Slices

CATCH_UP_WAIT_S = 0.1

# Each record comes with the stream's positions just after it (valid until the next record).
Positioned = tuple[Record, Mapping[int, int]]


async def stream_records(
    settings: KafkaSettings,
    hub: LiveHub,
    topic: str,
    start: Mapping[int, int] | None,
    partitions: frozenset[int] | None,
    predicate: Callable[[Record], bool],
    max_batches: int,
    readers: ReaderPool | None = None,
    hint: IndexHint | None = None,
    owner: str = "",
) -> AsyncIterator[Positioned]:
    """Records of `topic` matching `predicate` from `start` (None: from now on), until closed.
    A catch-up reads with a consumer from `readers` (the gateway's pool), when given. `hint`
    names equalities `predicate` requires, for the feed's filter index."""
    feed = await hub.acquire(topic)
    try:
        subscriber = LiveSubscriber(partitions, predicate, max_batches)
        feed.register(subscriber, hint)
        if start is None:
            positions = {p: o for p, o in feed.positions.items() if subscriber.wants(p)}
            feed.join(subscriber, positions)
        else:
            positions = dict(start)
        # Each record delivered runs the subscription's operation (and a catch-up's filter runs
        # on every record it reads): a large delivery is worked through in slices.
        slices = Slices()
        try:
            while not subscriber.closed:
                while subscriber not in feed.subscribers and not subscriber.closed:
                    async for record in _catch_up(
                        settings, feed, subscriber, positions, predicate, readers, slices, owner
                    ):
                        yield record, positions
                waits = not subscriber.ready
                delivery = await subscriber.next()
                if waits:
                    # A slice starts with the delivery: the wait held nothing.
                    slices.restart()
                if delivery is None:
                    continue  # closed, or overflowed and dropped by the feed: catch up alone
                partition, records, next_position = delivery
                for record in records:
                    positions[partition] = record.offset + 1
                    yield record, positions
                    if slices.due():
                        await slices.pause()
                positions[partition] = max(positions[partition], next_position)
        finally:
            feed.leave(subscriber)
    finally:
        await hub.release(topic, feed)


async def _catch_up(
    settings: KafkaSettings,
    feed: TopicFeed,
    subscriber: LiveSubscriber,
    positions: dict[int, int],
    predicate: Callable[[Record], bool],
    readers: ReaderPool | None,
    slices: Slices,
    owner: str,
) -> AsyncIterator[Record]:
    """Read from `positions` until level with the feed, then join it. Updates `positions`.

    Returns without joining when the subscriber is closed or the topic grew partitions (the
    caller then starts a new reader that includes them).
    """
    for partition in feed.positions:
        if subscriber.wants(partition):
            # A partition the stream has never seen (the topic grew): all of it is new.
            positions.setdefault(partition, 0)
    if _level_with(feed, subscriber, positions):
        feed.join(subscriber, positions)
        return
    async with PartitionReader(settings, feed.topic, positions, readers, owner) as reader:
        while not subscriber.closed:
            for partition, records in (await reader.fetch(CATCH_UP_WAIT_S)).items():
                for record in records:
                    positions[partition] = record.offset + 1
                    if predicate(record):
                        yield record
                    # Pauses come before the level check below, never between it and the join.
                    if slices.due():
                        await slices.pause()
            for partition in list(positions):
                # Past transaction markers and compacted gaps too, not just the last record.
                positions[partition] = max(positions[partition], await reader.position(partition))
            if any(p not in positions for p in feed.positions if subscriber.wants(p)):
                return
            if _level_with(feed, subscriber, positions):
                feed.join(subscriber, positions)
                return


def _level_with(feed: TopicFeed, subscriber: LiveSubscriber, positions: Mapping[int, int]) -> bool:
    return all(
        positions.get(p, 0) >= offset for p, offset in feed.positions.items() if subscriber.wants(p)
    )
