"""A subscription's record stream: replay from a position, then live, with an exact hand-off.

Positions are "next offset to read" per partition. A stream that starts behind the shared feed
reads with its own short-lived reader until, for every partition it follows, its position is at or
past the feed's. It then joins the feed *without an await in between*, telling it to skip anything
below its own positions. So nothing is lost (the feed offers everything from its position on) and
nothing repeats (the subscriber ignores what the reader already delivered). A subscriber that
overflows its inbox is detached and goes through the same catch-up again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping

from kafka_graphql.core.errors import StreamInterrupted
from kafka_graphql.core.slices import Slices
from kafka_graphql.kafka.held import READER_BYTES_PER_PARTITION, Holder, footprint
from kafka_graphql.kafka.live import LiveHub, LiveSubscriber, TopicFeed
from kafka_graphql.kafka.live_index import IndexHint
from kafka_graphql.kafka.reader import PartitionReader
from kafka_graphql.kafka.reader_pool import ReaderPool
from kafka_graphql.kafka.records import Record
from kafka_graphql.settings import KafkaSettings

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
    holder: Holder | None = None,
) -> AsyncIterator[Positioned]:
    """Records of `topic` matching `predicate` from `start` (None: from now on), until closed.
    A catch-up reads with a consumer from `readers` (the gateway's pool) for `owner`, when
    given. `hint` names equalities `predicate` requires, for the feed's filter index; `holder`
    is the caller's account, charged for what the stream holds.

    Anything that ends the stream early (its predicate raised, a Kafka error, its caller was cut
    back) is raised as StreamInterrupted with the positions to resume from, losing nothing."""
    feed = await hub.acquire(topic)
    try:
        subscriber = LiveSubscriber(partitions, predicate, max_batches, holder)
        if holder is not None:
            holder.enter(subscriber)
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
                if subscriber.failure is not None:
                    # Whatever its inbox still holds comes after `positions`: read again.
                    raise StreamInterrupted(topic, positions, subscriber.failure)
                if subscriber not in feed.subscribers:
                    async for record in _catch_up(
                        settings,
                        feed,
                        subscriber,
                        positions,
                        predicate,
                        readers,
                        slices,
                        owner,
                        holder,
                    ):
                        yield record, positions
                    continue
                waits = not subscriber.ready
                delivery = await subscriber.next()
                if waits:
                    # A slice starts with the delivery: the wait held nothing.
                    slices.restart()
                if delivery is None:
                    continue  # closed, failed, or overflowed and dropped by the feed
                partition, records, next_position = delivery[0], delivery[1], delivery[2]
                # Nothing of a delivery is kept while the stream waits for the next one: an idle
                # stream holds no record (subscriber.next gives its batch back).
                del delivery
                for record in records:
                    positions[partition] = record.offset + 1
                    yield record, positions
                    if slices.due():
                        await slices.pause()
                del records, record
                positions[partition] = max(positions[partition], next_position)
        except StreamInterrupted:
            raise
        except Exception as error:
            raise StreamInterrupted(topic, positions, error) from error
        finally:
            feed.leave(subscriber)
            if holder is not None:
                holder.leave(subscriber)
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
    holder: Holder | None,
) -> AsyncIterator[Record]:
    """Read from `positions` until level with the feed, then join it. Updates `positions`.

    Returns without joining when the subscriber is closed or failed, or the topic grew
    partitions (the caller then starts a new reader that includes them). What the reader's
    consumer may fetch ahead is charged to the caller's account before it is opened, and each
    fetch until the next.
    """
    for partition in feed.positions:
        if subscriber.wants(partition):
            # A partition the stream has never seen (the topic grew): all of it is new.
            positions.setdefault(partition, 0)
    if _level_with(feed, subscriber, positions):
        feed.join(subscriber, positions)
        return
    stopped = _stopped(subscriber)
    reserved = READER_BYTES_PER_PARTITION * len(positions) if holder is not None else 0
    if holder is not None:
        await holder.reserve(reserved, stopped)
    # Emptied after each fetch, so that nothing of it is kept while the next one is awaited.
    records: Iterator[Record] | None = None
    record: Record | None = None
    try:
        async with PartitionReader(settings, feed.topic, positions, readers, owner) as reader:
            while not stopped():
                fetched = await _fetch(reader, holder, stopped)
                # Records are decoded as they are read (reader.py): each is charged to the
                # caller's account as it is, and all of them given back once the fetch is done.
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
                            # Pauses come before the level check below, never between it and
                            # the join.
                            if slices.due():
                                await slices.pause()
                finally:
                    if holder is not None:
                        holder.release(size)
                fetched, records, record = {}, None, None
                for partition in list(positions):
                    # Past transaction markers and compacted gaps too, not just the last one.
                    position = await reader.position(partition)
                    positions[partition] = max(positions[partition], position)
                if any(p not in positions for p in feed.positions if subscriber.wants(p)):
                    return
                if _level_with(feed, subscriber, positions):
                    feed.join(subscriber, positions)
                    return
    finally:
        if holder is not None:
            holder.release(reserved)


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


def _level_with(feed: TopicFeed, subscriber: LiveSubscriber, positions: Mapping[int, int]) -> bool:
    return all(
        positions.get(p, 0) >= offset for p, offset in feed.positions.items() if subscriber.wants(p)
    )
