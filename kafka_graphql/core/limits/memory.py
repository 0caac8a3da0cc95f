"""Memory held for subscribers, in bytes, per caller (docs/limits.md#memory-held-per-caller).

A caller's `Holdings` is charged for what its streams hold: the batches in their inboxes and the
one each reads now (once per batch however many of its streams hold it), their catch-up
readers (what their consumers may fetch ahead) and fetches, the frames being written to its
sockets, and, apart, the messages its conflating streams keep waiting.
`limits.max_buffered_bytes_per_principal` bounds the batches, readers and fetches together (a
live stream that would go beyond it is detached from its feed and catches up on its own later;
a catch-up waits before it opens its reader and before each fetch), and, apart, the frames (a
frame waits before it is written).
`limits.max_pending_bytes` bounds the last: a conflating stream that would go beyond it ends
with RATE_LIMITED and its cursor (core/limits/delivery.py). A caller that holds nothing may always
hold one batch, fetch or message, however large (or it could never receive it); then nothing
more until it is given back.

What the whole process holds is the Ledger's (ledger.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from kafka_graphql.core.errors import RateLimited

if TYPE_CHECKING:  # the Kafka layer imports the settings, which import this package
    from kafka_graphql.core.limits.ledger import Ledger
    from kafka_graphql.kafka.held import Batch, Failing

# A frame being written is held about three times: the text, its UTF-8 bytes and the socket
# transport's buffer.
FRAME_COPIES = 3


class CutBack(Exception):
    """Raised to a frame waiting for its caller's room when the caller is cut back."""

    def __init__(self, error: RateLimited | None) -> None:
        super().__init__("cut back")
        self.error = error


class Holdings:
    """One caller's account (kafka/held.py's Holder)."""

    __slots__ = (
        "_batches",
        "_cut",
        "_cut_error",
        "_cuts",
        "_fetching",
        "_limit",
        "_pending_limit",
        "_recent",
        "_recent_holds",
        "_waiters",
        "buffered",
        "frames",
        "ledger",
        "pending",
        "streams",
    )

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        # Bytes of batches and catch-up fetches held, and of frames being written.
        self.buffered = 0
        self.frames = 0
        # Bytes of messages conflating streams keep waiting.
        self.pending = 0
        self._batches: dict[Batch, int] | None = None
        # The newest batch held, and by how many of the caller's streams: counted apart from
        # `_batches` because nearly every hold and drop is of it, one stream after another.
        self._recent: Batch | None = None
        self._recent_holds = 0
        self._limit = ledger.settings.max_buffered_bytes_per_principal
        self._pending_limit = ledger.settings.max_pending_bytes
        self.streams: set[Failing] = set()
        # The streams of a cut back that have not ended yet.
        self._cut: set[Failing] = set()
        self._cuts = 0
        self._cut_error: RateLimited | None = None
        self._fetching = False
        self._waiters: list[asyncio.Future[None]] = []

    def total(self) -> int:
        return self.buffered + self.pending

    @property
    def cutting(self) -> bool:
        return bool(self._cut)

    # Streams, for the cut back.

    def enter(self, stream: Failing) -> None:
        if not self.streams:
            self.ledger.track(self, True)
        self.streams.add(stream)

    def leave(self, stream: Failing) -> None:
        self.streams.discard(stream)
        self._cut.discard(stream)
        if not self.streams:
            self.ledger.track(self, False)

    def cut(self, error: RateLimited) -> None:
        self._cut = set(self.streams)
        self._cuts += 1
        self._cut_error = error
        for stream in list(self._cut):
            stream.fail(error)
        self._wake()

    # Batches of the live feed (deduplicated), and catch-up fetches.

    def hold(self, batch: Batch) -> bool:
        if batch is self._recent:
            self._recent_holds += 1
            return True
        batches = self._batches
        if batches is None:
            batches = self._batches = {}
        held = batches.get(batch)
        if held is not None:
            batches[batch] = held + 1
            return True
        size = batch.size
        if self._held() + size > self._limit and self.total() > 0:
            return False
        self.buffered += size
        batch.holders += 1
        if batch.holders == 1:
            self.ledger.add(size)
        if self._recent is not None:
            batches[self._recent] = self._recent_holds
        self._recent, self._recent_holds = batch, 1
        return True

    def drop(self, batch: Batch) -> None:
        if batch is self._recent:
            self._recent_holds -= 1
            if self._recent_holds:
                return
            self._recent = None
        else:
            batches = self._batches
            assert batches is not None
            held = batches[batch] - 1
            if held:
                batches[batch] = held
                return
            del batches[batch]
        size = batch.size
        self.buffered -= size
        batch.holders -= 1
        if batch.holders == 0:
            self.ledger.sub(size)
        if self._waiters:
            self._wake()

    async def fetch_turn(self, stopped: Callable[[], bool]) -> None:
        while (self._fetching or self._full()) and not stopped():
            await self._wait()
        self._fetching = True

    def _held(self) -> int:
        """What is held but frames (frames have a bound of their own: `frames_full`)."""
        return self.buffered - self.frames

    def _full(self) -> bool:
        return self._held() >= self._limit and self.total() > 0

    def fetched(self, size: int) -> None:
        self._fetching = False
        self.buffered += size
        self.ledger.add(size)
        if self._waiters:
            self._wake()

    async def reserve(self, size: int, stopped: Callable[[], bool]) -> None:
        while self._held() + size > self._limit and self.total() > 0 and not stopped():
            await self._wait()
        self.buffered += size
        self.ledger.add(size)

    def charge(self, size: int) -> None:
        self.buffered += size
        self.ledger.add(size)

    def release(self, size: int) -> None:
        self.buffered -= size
        self.ledger.sub(size)
        if self._waiters:
            self._wake()

    # Frames written to the caller's sockets.

    def frames_full(self) -> bool:
        """Whether a frame must wait (`frame_room`) before it is made and written."""
        return 0 < self.frames >= self._limit

    async def frame_room(self) -> None:
        """Waits while this caller's frames being written hold as much as it may (one frame is
        always let through). Raises CutBack when the caller is cut back meanwhile."""
        cuts = self._cuts
        while self.frames_full():
            await self._wait()
            if self._cuts != cuts:
                raise CutBack(self._cut_error)

    def charge_frame(self, size: int) -> int:
        """Charges a frame of `size` characters being written; returns what `frame_done` gives
        back."""
        held = FRAME_COPIES * size
        self.frames += held
        self.buffered += held
        self.ledger.add(held)
        return held

    def frame_done(self, held: int) -> None:
        self.frames -= held
        self.release(held)

    # Conflation (core/limits/delivery.py).

    def pend(self, size: int) -> bool:
        """Charges `size` more bytes of messages kept waiting (a message replacing another: the
        difference); False (nothing charged) beyond `limits.max_pending_bytes`."""
        if size > 0 and self.pending + size > self._pending_limit and self.total() > 0:
            return False
        self.pending += size
        self.ledger.add(size)
        return True

    def unpend(self, size: int) -> None:
        self.pending -= size
        self.ledger.sub(size)

    def _wait(self) -> asyncio.Future[None]:
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        return waiter

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)
