"""One live subscriber's inbox on its topic's feed (live_feed.py): filled by the feed, drained by
the subscription's stream (stream.py).

A subscriber that falls behind is not allowed to slow the others down: its inbox is bounded in
batches and, through its caller's account (held.py), in bytes; when it is full the subscriber
overflows, is detached, and catches up from its own position with its own reader.

One subscriber never affects another: anything its predicate raises fails that subscriber alone
(its stream ends with its own error and a cursor, stream.py), and the feed goes on with the
batch for everyone else.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

from kafka_graphql.core.slices import Slices
from kafka_graphql.kafka.held import Batch, Holder
from kafka_graphql.kafka.records import Record

# (partition, matching records, position after the whole batch the feed read, that batch)
Delivery = tuple[int, list[Record], int, Batch]

# The batch of an inbox entry that no account is charged for.
UNCHARGED = Batch([])
# Records a subscriber's filter runs on between two looks at the feed's slice (slices.py).
OFFER_CHUNK = 16


class LiveSubscriber:
    """One subscription's inbox on a feed. Filled by the feed, drained by the subscription."""

    __slots__ = (
        "_accept_from",
        "_current",
        "_holder",
        "_items",
        "_max_batches",
        "_predicate",
        "_waiter",
        "closed",
        "failure",
        "overflowed",
        "partitions",
    )

    def __init__(
        self,
        partitions: frozenset[int] | None,
        predicate: Callable[[Record], bool],
        max_batches: int,
        holder: Holder | None = None,
    ) -> None:
        self.partitions = partitions
        self._predicate = predicate
        self._max_batches = max_batches
        # The caller's account of what its streams hold, charged for every batch in the inbox
        # and for the one the stream reads now (`_current`).
        self._holder = holder
        self._current: Batch | None = None
        # Both made only when needed: an idle subscriber holds neither (an empty deque or an
        # asyncio.Event costs ~0.7 KB each, and a gateway holds tens of thousands of these).
        self._items: deque[Delivery] | None = None
        self._waiter: asyncio.Future[None] | None = None
        # Per partition, the first offset this subscriber has not yet got from elsewhere.
        self._accept_from: dict[int, int] = {}
        self.overflowed = False
        self.closed = False
        # What ended this subscriber on its own (its predicate raised, or its caller was cut
        # back): the stream ends with it (stream.py). The feed has dropped the subscriber.
        self.failure: BaseException | None = None

    def wants(self, partition: int) -> bool:
        return self.partitions is None or partition in self.partitions

    def accept_from(self, positions: dict[int, int]) -> None:
        self._accept_from = dict(positions)
        self._drop_items()
        self.overflowed = False

    def offer(
        self,
        partition: int,
        records: list[Record],
        next_position: int,
        batch: Batch | None = None,
        woken: list[LiveSubscriber] | None = None,
    ) -> None:
        """Queues what of `records` this subscriber takes; it is woken now, or, given `woken`,
        added there for its feed to wake once the whole batch is offered."""
        # _unread(), inline: the feed calls this for every subscriber a batch is offered to
        # (benchmark P6: 5,000 key-filtered subscribers).
        if self.overflowed or self.closed:
            return
        partitions = self.partitions
        if partitions is not None and partition not in partitions:
            return
        accept_from = self._accept_from
        if accept_from:
            start = accept_from.get(partition, 0)
            if next_position <= start:
                return  # already delivered by the catch-up reader
            if records[0].offset < start:
                records = [r for r in records if r.offset >= start]
        predicate = self._predicate
        matching = [r for r in records if predicate(r)]
        if matching:
            self._queue(partition, matching, next_position, batch, woken)

    async def offer_in_slices(
        self,
        partition: int,
        records: list[Record],
        next_position: int,
        slices: Slices,
        batch: Batch | None = None,
        woken: list[LiveSubscriber] | None = None,
    ) -> None:
        """`offer()` of a large batch, pausing between chunks of records when the feed's slice
        is spent (a heavy filter costs up to ~1 ms a record)."""
        unread = self._unread(partition, records, next_position)
        matching: list[Record] = []
        for i in range(0, len(unread), OFFER_CHUNK):
            matching += [r for r in unread[i : i + OFFER_CHUNK] if self._predicate(r)]
            if slices.due():
                await slices.pause()
        # Closed, or failed (a cut back) during a pause: nothing more for it.
        if not self.closed and self.failure is None:
            self._queue(partition, matching, next_position, batch, woken)

    def _unread(self, partition: int, records: list[Record], next_position: int) -> list[Record]:
        """What of `records` this subscriber has not been given yet (and would take)."""
        if self.overflowed or self.closed or not self.wants(partition):
            return []
        start = self._accept_from.get(partition, 0)
        if next_position <= start:
            return []  # already delivered by the catch-up reader
        if records[0].offset < start:
            return [r for r in records if r.offset >= start]
        return records

    def _queue(
        self,
        partition: int,
        matching: list[Record],
        next_position: int,
        batch: Batch | None,
        woken: list[LiveSubscriber] | None = None,
    ) -> None:
        if not matching:
            return
        if self._items is None:
            self._items = deque()
        holder = self._holder
        if holder is None:
            batch = UNCHARGED
        elif batch is None:
            batch = Batch(matching)
        if len(self._items) >= self._max_batches or (holder is not None and not holder.hold(batch)):
            self.overflowed = True
        else:
            self._items.append((partition, matching, next_position, batch))
        if woken is None:
            self.wake()
        else:
            woken.append(self)

    def fail(self, error: BaseException) -> None:
        """Ends this subscriber with `error` (the feed stops offering to it: `overflowed`)."""
        if self.failure is None:
            self.failure = error
        self.overflowed = True
        self._drop_items()
        self.wake()

    @property
    def ready(self) -> bool:
        """Whether `next()` answers without waiting for the feed."""
        return bool(self._items) or self.overflowed or self.closed

    def close(self) -> None:
        self.closed = True
        self.wake()

    def release(self) -> None:
        """Gives back everything this subscriber holds (it is leaving its feed)."""
        self._drop_items()
        self._drop_current()

    def _drop_items(self) -> None:
        items, self._items = self._items, None
        if items and self._holder is not None:
            for item in items:
                self._holder.drop(item[3])

    def _drop_current(self) -> None:
        current, self._current = self._current, None
        if current is not None and self._holder is not None:
            self._holder.drop(current)

    def wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def next(self) -> Delivery | None:
        """The next delivery; None once the subscriber overflowed (and is drained), failed or
        closed. The delivery before it is given back to the caller's account."""
        current = self._current
        if current is not None:
            # _drop_current(), inline: every delivery passes here.
            self._current = None
            if self._holder is not None:
                self._holder.drop(current)
        while not self._items:
            self._items = None
            if self.overflowed or self.closed:
                return None
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        delivery = self._items.popleft()
        self._current = delivery[3]
        return delivery
