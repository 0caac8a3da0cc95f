"""The live feed of one topic: one Kafka consumer per topic per process, shared by every live
subscriber of the topic (live_subscriber.py).

The feed reads each record once and offers it to each subscriber it may be for (which
subscribers, its filter index decides: live_index.py). Its position moves past a batch before the
first offer, and the batch goes to exactly the subscribers receiving then; so at any await point,
also at the pauses a large batch's offers make (slices.py), a subscriber joining at the feed's
position has read everything the feed will not offer it. That is what makes the catch-up hand-off
exact (see stream.py and `_dispatch`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from aiokafka import TopicPartition

from kafka_graphql.core.errors import GatewayError
from kafka_graphql.core.slices import Slices
from kafka_graphql.kafka.cluster import Cluster
from kafka_graphql.kafka.errors import kafka_call
from kafka_graphql.kafka.feed_lag import feed_lag
from kafka_graphql.kafka.held import Batch
from kafka_graphql.kafka.live_index import FeedIndex, IndexHint
from kafka_graphql.kafka.live_subscriber import OFFER_CHUNK, LiveSubscriber
from kafka_graphql.kafka.reader import (
    FETCH_MAX_RECORDS,
    MAX_HEADERS,
    new_consumer,
    stop_consumer,
    to_record,
)
from kafka_graphql.kafka.records import Record
from kafka_graphql.settings import KafkaSettings

log = logging.getLogger(__name__)

FEED_POLL_S = 0.5
RETRY_BACKOFF_S = 1.0
# Seconds between two checks of the feed's progress and partitions: metadata_max_age_s within
# these bounds.
PROGRESS_CHECK_S = 5.0
MIN_CHECK_S = 1.0


# Offers between two looks at the slice's clock: at most ~16 short offers past the slice.
OFFERS_PER_LOOK = 16


class TopicFeed:
    """The shared consumer of one topic."""

    def __init__(
        self,
        settings: KafkaSettings,
        cluster: Cluster,
        topic: str,
        on_change: Callable[[], None],
        max_headers: int = MAX_HEADERS,
    ) -> None:
        self.topic = topic
        self._max_headers = max_headers
        self._on_change = on_change
        self._settings = settings
        self._cluster = cluster
        self._consumer: Any = None
        self._task: asyncio.Task[None] | None = None
        # Per partition, the next offset the feed will offer. Subscribers compare against it.
        self.positions: dict[int, int] = {}
        # Subscribers receiving records now, and all subscribers (also those catching up).
        self.subscribers: set[LiveSubscriber] = set()
        self.members: set[LiveSubscriber] = set()
        # The receiving subscribers again, filed by their filters' key or header equality.
        self._index: FeedIndex[LiveSubscriber] = FeedIndex()
        self._index_failed = False
        self.users = 0
        # Per partition that has records the consumer has not reached: (its position, since when).
        self._behind: dict[int, tuple[int, float]] = {}
        # Per partition, the log end offset the watchdog last read (for the lag).
        self._ends: dict[int, int] = {}
        self.stalled = False
        self.restarts = 0

    async def start(self) -> None:
        partitions = await self._cluster.partitions(self.topic)
        ends = await self._cluster.offsets(self.topic, partitions)
        self._consumer = await self._new_consumer()
        self._assign({p: o.latest for p, o in ends.items()})
        self._task = asyncio.create_task(self._run(), name=f"live-feed:{self.topic}")

    async def _new_consumer(self) -> Any:
        consumer = new_consumer(self._settings, "live")
        try:
            async with kafka_call("starting a live consumer", self._settings.request_timeout_s):
                await consumer.start()
        except BaseException:
            await stop_consumer(consumer)
            raise
        return consumer

    async def close(self) -> None:
        for subscriber in self.members:
            subscriber.close()
        self.subscribers.clear()
        self._index.clear()
        try:
            if self._task is not None:
                self._task.cancel()
                # wait() rather than awaiting the task: our own cancellation must still propagate.
                await asyncio.wait([self._task])
        finally:
            if self._consumer is not None:
                await stop_consumer(self._consumer)

    def register(self, subscriber: LiveSubscriber, hint: IndexHint | None = None) -> None:
        """Add `subscriber` (not receiving yet); `hint` files it in the feed's filter index."""
        self.members.add(subscriber)
        self._index.hint(subscriber, hint)

    def join(self, subscriber: LiveSubscriber, positions: dict[int, int]) -> None:
        """Attach `subscriber`, which has seen everything below `positions`. Call with no await
        between checking the positions and joining."""
        subscriber.accept_from(positions)
        self.subscribers.add(subscriber)
        self._index.add(subscriber)
        self._on_change()

    def leave(self, subscriber: LiveSubscriber) -> None:
        subscriber.release()
        self.subscribers.discard(subscriber)
        self.members.discard(subscriber)
        self._index.forget(subscriber)
        self._on_change()

    def _assign(self, positions: dict[int, int]) -> None:
        tps = {p: TopicPartition(self.topic, p) for p in positions}
        self._consumer.assign(list(tps.values()))
        for partition, offset in positions.items():
            self._consumer.seek(tps[partition], offset)
        self.positions = dict(positions)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        checked_partitions_at = loop.time()
        while True:
            try:
                batch = await self._consumer.getmany(
                    timeout_ms=int(FEED_POLL_S * 1000), max_records=FETCH_MAX_RECORDS
                )
                slices = Slices()
                for tp, raw in batch.items():
                    if raw:
                        records = []
                        for r in raw:
                            # Decoded in slices too; nothing is offered yet, so a pause here is
                            # like any other await between batches.
                            records.append(to_record(r, self._max_headers))
                            if slices.due():
                                await slices.pause()
                        await self._dispatch(tp.partition, records, slices)
                if loop.time() - checked_partitions_at > self._check_every_s:
                    checked_partitions_at = loop.time()
                    await self._follow_new_partitions()
                    await self._check_progress()
            except GatewayError as error:
                # The feed outlives broker trouble: aiokafka reconnects, subscribers keep waiting.
                log.warning("live feed for %s: %s; retrying", self.topic, error.message)
                await asyncio.sleep(RETRY_BACKOFF_S)
            except Exception:
                log.exception("live feed for %s failed; retrying", self.topic)
                await asyncio.sleep(RETRY_BACKOFF_S)

    async def _dispatch(
        self, partition: int, records: list[Record], slices: Slices | None = None
    ) -> None:
        """Offers `records` to the subscribers receiving now, pausing between offers when
        `slices` is spent (a large batch, heavy filters or many subscribers).

        The feed's position moves past the batch *before* the first offer, which is what keeps
        the hand-off exact across those pauses (stream.py): the batch goes to exactly the
        subscribers receiving when it starts, which have not read it. A catch-up that checks
        during a pause is level only once its own reader has read past the whole batch, so it
        joins without it and misses nothing; one that is not level reads on. A live
        subscriber starting during a pause starts after the batch."""
        next_position = records[-1].offset + 1
        self.positions[partition] = next_position
        index = self._index
        batch = Batch(records)
        # Every unfiled subscriber is offered the batch; a filed one only the records carrying
        # its key or header pair, and nothing when there are none (which is what its predicate
        # would have made of the rest). O(records + unfiled + deliveries), not O(subscribers).
        offers: list[tuple[LiveSubscriber, list[Record]]] = [(s, records) for s in index.unfiled]
        if index.filed:
            offers.extend(self._routed(records))
        # Woken together once the whole batch is offered, not as each is: a pause between
        # offers (the slice spent) would otherwise run every subscriber offered so far, and
        # each would wake again for the rest of the batch and for the next one (benchmark P6:
        # a wake-up costs more than the delivery's own work).
        woken: list[LiveSubscriber] = []
        try:
            for count, (subscriber, offered) in enumerate(offers, 1):
                try:
                    if slices is not None and len(offered) > OFFER_CHUNK:
                        await subscriber.offer_in_slices(
                            partition, offered, next_position, slices, batch, woken
                        )
                    else:
                        subscriber.offer(partition, offered, next_position, batch, woken)
                except Exception as error:  # noqa: BLE001 - its predicate, its own failure
                    subscriber.fail(error)
                if subscriber.overflowed:
                    self.subscribers.discard(subscriber)
                    index.discard(subscriber)
                # The clock every few offers (a short offer costs ~1 µs; reading it ~0.1).
                if slices is not None and not count % OFFERS_PER_LOOK and slices.due():
                    await slices.pause()
        finally:
            for subscriber in woken:
                subscriber.wake()
        self._on_change()

    def _routed(self, records: list[Record]) -> list[tuple[LiveSubscriber, list[Record]]]:
        try:
            return list(self._index.route(records).items())
        except Exception:
            # The index only skips work: without it, every filed subscriber's own predicate
            # decides, as for an unfiled one. Logged once per feed.
            if not self._index_failed:
                self._index_failed = True
                log.exception(
                    "live feed for %s: the filter index failed; offering to all", self.topic
                )
            return [(s, records) for s in self._index.filed_subscribers()]

    async def _follow_new_partitions(self) -> None:
        partitions = await self._cluster.partitions(self.topic)
        new = [p for p in partitions if p not in self.positions]
        if not new:
            return
        # A partition added to the topic is read from its beginning: all of it is new.
        log.info("topic %s grew partitions %s", self.topic, new)
        positions = dict(self.positions)
        offsets = await self._cluster.offsets(self.topic, new)
        positions.update({p: o.earliest for p, o in offsets.items()})
        self._assign(positions)

    async def _check_progress(self) -> None:
        """The watchdog (aiokafka #1154: a consumer can stop fetching without an error). A
        partition whose consumer position has not moved for a whole request timeout although
        the log holds more gets the feed a new consumer, placed exactly at the feed's positions."""
        now = asyncio.get_running_loop().time()
        ends = await self._cluster.offsets(self.topic, self.positions)
        self._ends = {partition: offsets.latest for partition, offsets in ends.items()}
        behind: dict[int, tuple[int, float]] = {}
        for partition, offsets in ends.items():
            async with kafka_call("reading a position", self._settings.request_timeout_s):
                position = int(await self._consumer.position(TopicPartition(self.topic, partition)))
            if position < offsets.latest:
                seen = self._behind.get(partition)
                behind[partition] = seen if seen and seen[0] == position else (position, now)
        self._behind = behind
        stuck = [p for p, (_, since) in behind.items() if now - since > self._stall_s]
        self.stalled = bool(stuck)
        if stuck:
            log.warning(
                "live feed for %s made no progress on partitions %s; replacing its consumer",
                self.topic,
                stuck,
            )
            await self._restart_consumer()

    @property
    def _check_every_s(self) -> float:
        # New partitions show in the cached metadata (refreshed every metadata_max_age_s); the
        # watchdog keeps its own pace, so that a longer metadata age does not leave a stuck
        # feed unnoticed for longer.
        return max(MIN_CHECK_S, min(self._settings.metadata_max_age_s, PROGRESS_CHECK_S))

    @property
    def _stall_s(self) -> float:
        return self._settings.request_timeout_s

    async def _restart_consumer(self) -> None:
        old, self._consumer = self._consumer, await self._new_consumer()
        with contextlib.suppress(Exception):
            async with asyncio.timeout(self._settings.request_timeout_s):
                await stop_consumer(old)
        # The feed's positions are the next offsets to offer: nothing is skipped or repeated.
        self._assign(dict(self.positions))
        self._behind = {}
        self.stalled = False
        self.restarts += 1

    def lag(self) -> dict[int, int]:
        """Per partition, the records between its log end and the feed (feed_lag.py)."""
        return feed_lag(self._consumer, self.topic, self.positions, self._ends)
