"""The history readers of a process: started consumers kept between uses, and a cap on how many
may be open at once, shared fairly between callers.

Each history page, and each replaying subscription while it catches up, reads with a consumer
of its own (a connection to each partition leader, fetch buffers). Without a cap, a caller
asking for many pages at once would make the gateway open as many Kafka consumers. So:

- at most `kafka.max_readers` readers are open (in use or idle) at once;
- one caller (`owner`) holds at most `per_owner` of them (`limits.max_readers_per_principal`), so
  that no single caller can take them all;
- beyond either, a caller waits, first come first served, at most `kafka.reader_wait_s`, in a
  queue of at most `kafka.reader_queue_length` callers (and at most `per_owner` of one caller's);
  past that, or when the queue is full, it gets LIMIT_EXCEEDED.
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from kafka_graphql.core.errors import LimitExceeded, ShuttingDown
from kafka_graphql.kafka.consumers import new_consumer, stop_consumer
from kafka_graphql.kafka.errors import kafka_call
from kafka_graphql.settings import KafkaSettings, LimitsSettings


@dataclass(eq=False)
class _Waiter:
    owner: str
    # Its grant: an idle reader, or None for a free place to start one in.
    granted: asyncio.Future[Any] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class ReaderPool:
    """Started, group-less consumers kept between history pages and catch-ups, so that a page
    does not pay for a new connection, a metadata round trip and a stop each time.

    At most `size` idle readers are kept, and at most `max_readers` are open in all. A reader
    whose use ended in an error (a broker fault, a timeout, a cancellation) is stopped, not
    kept: its state is unknown.
    """

    def __init__(
        self,
        settings: KafkaSettings,
        size: int,
        *,
        max_readers: int | None = None,
        per_owner: int | None = None,
        max_headers: int = LimitsSettings().max_headers_per_record,
    ) -> None:
        self._settings = settings
        # How many headers of a record its readers decode (reader.to_record).
        self.max_headers = max_headers
        self._size = size
        self._max = max_readers if max_readers is not None else settings.max_readers
        self._per_owner = per_owner if per_owner is not None else self._max
        self._idle: list[Any] = []
        self._open = 0  # started readers, in use or idle (or starting)
        self._held: Counter[str] = Counter()
        self._waiting: deque[_Waiter] = deque()
        self._waiting_by: Counter[str] = Counter()
        self._closed = False

    @property
    def idle(self) -> int:
        return len(self._idle)

    @property
    def open(self) -> int:
        """Readers open now: in use, idle, or starting."""
        return self._open

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    async def take(self, owner: str = "") -> Any:
        """An idle started consumer (parked: `_park`), or a new one, for `owner` (a caller);
        waits for one when the caps are reached. Each `take` must be followed by `give_back`
        with the same owner."""
        if self._closed:
            raise ShuttingDown("the gateway is shutting down; reconnect to another instance")
        granted = self._grant(owner) if self._may_take(owner) else await self._wait(owner)
        if granted is not None:
            return granted
        # A position out of range is the reader's to handle: it reports the gap (reader.py).
        consumer = new_consumer(self._settings, "reader", "none")
        try:
            async with kafka_call("starting a reader", self._settings.request_timeout_s):
                await consumer.start()
        except BaseException:
            self._release(owner)
            await stop_consumer(consumer)
            raise
        return consumer

    async def give_back(self, consumer: Any, *, reusable: bool, owner: str = "") -> None:
        if reusable and not self._closed:
            _park(consumer)
            _decrement(self._held, owner)
            self._idle.append(consumer)
            self._grant_waiters()
            while len(self._idle) > self._size:
                self._open -= 1
                await stop_consumer(self._idle.pop())
        else:
            try:
                await stop_consumer(consumer)
            finally:
                self._release(owner)

    async def close(self) -> None:
        self._closed = True
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.granted.done():
                waiter.granted.set_exception(
                    ShuttingDown("the gateway is shutting down; reconnect to another instance")
                )
        while self._idle:
            self._open -= 1
            await stop_consumer(self._idle.pop())

    def _may_take(self, owner: str) -> bool:
        # Waiters that could take a reader have been given one already (`_grant_waiters`), so a
        # free reader now is not owed to anyone queued.
        return self._held[owner] < self._per_owner and bool(self._idle or self._open < self._max)

    def _grant(self, owner: str) -> Any:
        """A reader for `owner`: an idle one, or None with a place reserved to start one."""
        self._held[owner] += 1
        if self._idle:
            return self._idle.pop()
        self._open += 1
        return None

    def _release(self, owner: str) -> None:
        """`owner` no longer holds a place: its reader was stopped (or never started)."""
        _decrement(self._held, owner)
        self._open -= 1
        self._grant_waiters()

    def _grant_waiters(self) -> None:
        """Hands free readers (or places) to the first waiters whose caller is under its own cap."""
        while self._waiting and (self._idle or self._open < self._max):
            waiter = next((w for w in self._waiting if self._held[w.owner] < self._per_owner), None)
            if waiter is None:
                return
            self._waiting.remove(waiter)
            _decrement(self._waiting_by, waiter.owner)
            waiter.granted.set_result(self._grant(waiter.owner))

    async def _wait(self, owner: str) -> Any:
        if len(self._waiting) >= self._settings.reader_queue_length or (
            self._waiting_by[owner] >= self._per_owner
        ):
            raise LimitExceeded(
                "every history reader is busy and too many requests wait for one; try again shortly"
            )
        waiter = _Waiter(owner)
        self._waiting.append(waiter)
        self._waiting_by[owner] += 1
        try:
            await asyncio.wait([waiter.granted], timeout=self._settings.reader_wait_s)
        except BaseException:
            self._leave(waiter)  # the caller was cancelled
            raise
        if not waiter.granted.done():
            self._leave(waiter)
            raise LimitExceeded(
                f"every history reader is busy; none was free within "
                f"{self._settings.reader_wait_s:g} s, try again shortly"
            )
        return waiter.granted.result()

    def _leave(self, waiter: _Waiter) -> None:
        """`waiter` stops waiting: out of the queue, or what it was granted meanwhile goes on to
        the next one."""
        granted = waiter.granted
        if not granted.done():
            granted.cancel()
            self._waiting.remove(waiter)
            _decrement(self._waiting_by, waiter.owner)
        elif not granted.cancelled() and granted.exception() is None:
            self._ungrant(waiter.owner, granted.result())

    def _ungrant(self, owner: str, granted: Any) -> None:
        if granted is None:
            self._release(owner)
        else:
            _decrement(self._held, owner)
            self._idle.append(granted)
            self._grant_waiters()


def _park(consumer: Any) -> None:
    """An idle reader fetches nothing and buffers nothing: its partitions paused and what it
    fetched dropped (a seek drops a partition's fetched records; the next use seeks again).

    Its assignment is kept: unassigning makes aiokafka ask Kafka for the metadata of every
    topic of the cluster (its client's `set_topics([])`), a request per page that held the
    loop ~60-90 ms to decode on a cluster of 2,600 topics. The next use assigns its own
    partitions, which asks for the metadata of that topic only, if any."""
    assigned = list(consumer.assignment())
    consumer.pause(*assigned)
    for partition in assigned:
        consumer.seek(partition, 0)


def _decrement(counts: Counter[str], owner: str) -> None:
    # Callers that hold nothing are dropped: a Counter keeps zeros.
    counts[owner] -= 1
    if counts[owner] <= 0:
        del counts[owner]
