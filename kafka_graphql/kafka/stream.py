"""A subscription's record stream: replay from a position, then live, with an exact hand-off.

Positions are "next offset to read" per partition. A stream that starts behind the shared feed
reads with its own short-lived reader (catch_up.py) until, for every partition it follows, its
position is at or past the feed's. It then joins the feed *without an await in between*, telling
it to skip anything below its own positions. So nothing is lost (the feed offers everything from
its position on) and nothing repeats (the subscriber ignores what the reader already delivered).
A subscriber that overflows its inbox is detached and goes through the same catch-up again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping

from kafka_graphql.core.errors import StreamInterrupted
from kafka_graphql.core.slices import Slices
from kafka_graphql.kafka.catch_up import CatchUp
from kafka_graphql.kafka.held import Holder
from kafka_graphql.kafka.live import LiveHub
from kafka_graphql.kafka.live_feed import TopicFeed
from kafka_graphql.kafka.live_index import IndexHint
from kafka_graphql.kafka.live_subscriber import LiveSubscriber
from kafka_graphql.kafka.reader_pool import ReaderPool
from kafka_graphql.kafka.records import Gaps, Record
from kafka_graphql.settings import KafkaSettings

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
    gaps: Gaps | None = None,
) -> AsyncIterator[Positioned]:
    """Records of `topic` matching `predicate` from `start` (None: from now on), until closed
    (the other arguments: KafkaGateway.stream). Anything that ends the stream early (its
    predicate raised, a Kafka error, its caller was cut back) is raised as StreamInterrupted
    with the positions to resume from, losing nothing. Offsets a catch-up finds deleted before
    it reads them (a stream that fell behind retention) are added to `gaps`."""
    subscriber = LiveSubscriber(partitions, predicate, max_batches, holder)
    feed, positions = await _enter(hub, topic, start, subscriber, hint, holder)
    # Each record delivered runs the subscription's operation (and a catch-up's filter runs on
    # every record it reads): a large delivery is worked through in slices.
    slices = Slices()
    try:
        while not subscriber.closed:
            if subscriber.failure is not None:
                # Whatever its inbox still holds comes after `positions`: read again.
                raise StreamInterrupted(topic, positions, subscriber.failure)
            if subscriber not in feed.subscribers:
                catch_up = CatchUp(settings, feed, subscriber, readers, owner, holder, gaps)
                async for record in catch_up.read(positions, predicate, slices):
                    yield record, positions
                del catch_up  # not kept while the stream is live
                continue
            waits = not subscriber.ready
            delivery = await subscriber.next()
            if waits:
                slices.restart()  # a slice starts with the delivery: the wait held nothing
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
        await _leave(hub, topic, feed, subscriber, holder)


async def _enter(
    hub: LiveHub,
    topic: str,
    start: Mapping[int, int] | None,
    subscriber: LiveSubscriber,
    hint: IndexHint | None,
    holder: Holder | None,
) -> tuple[TopicFeed, dict[int, int]]:
    """`subscriber` on the feed of `topic`: joined at once when it starts from now on (`start`
    None), else registered to catch up from `start`; with the positions it starts from."""
    feed = await hub.acquire(topic)
    try:
        if holder is not None:
            holder.enter(subscriber)
        feed.register(subscriber, hint)
        if start is None:
            positions = {p: o for p, o in feed.positions.items() if subscriber.wants(p)}
            feed.join(subscriber, positions)
        else:
            positions = dict(start)
    except BaseException:
        await hub.release(topic, feed)
        raise
    return feed, positions


async def _leave(
    hub: LiveHub, topic: str, feed: TopicFeed, subscriber: LiveSubscriber, holder: Holder | None
) -> None:
    try:
        feed.leave(subscriber)
        if holder is not None:
            holder.leave(subscriber)
    finally:
        await hub.release(topic, feed)
