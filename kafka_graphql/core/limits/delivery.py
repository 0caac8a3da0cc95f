"""A subscriber's delivery budget, applied to one stream (docs/limits.md#delivery-budget).

The stream's matching messages pass through `deliver`, which spends one message and the
record's value bytes from the caller's delivery budget (shared by all of the caller's streams)
for each one. When the budget does not hold the next message:

- `"close"`: the stream ends with RATE_LIMITED; `extensions.cursor` is the last delivered
  message's cursor (or, before any delivery, the position just before the refused message), so
  that `after: cursor` resumes with no gap.
- `"conflate"`: messages wait, the newest one per key (a null key: one slot per partition), and
  are delivered in the order their newest message arrived as budget returns; each delivered
  message's `skipped` counts the older messages of its key it replaced. Reading goes on while
  the stream waits, and waiting holds up no other stream. At most `limits.max_pending_keys` keys
  wait; one more closes the stream as `"close"` does, with the cursor just before the first
  message that had to wait (messages after it may come again; none is lost).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from kafka_graphql.core.cursor import CursorSealer
from kafka_graphql.core.errors import RateLimited, StreamInterrupted
from kafka_graphql.core.limits.registry import LimitsRegistry
from kafka_graphql.kafka import Record
from kafka_graphql.kafka.held import footprint

# The longest a waiting stream sleeps before it looks at its budget again: the budget is shared
# with the caller's other streams and refills on the registry's clock, not the event loop's.
RECHECK_S = 0.05

# What a stream yields before its delivery budget: a matching record, its positions, the
# message built for it (which has a `skipped` field).
Matched = tuple[Record, Mapping[int, int], Any]


@dataclass(slots=True)
class _Waiting:
    record: Record
    message: Any
    skipped: int
    # Its footprint, charged to the caller's pending bytes (memory.py).
    size: int


def value_size(record: Record) -> int:
    """The bytes a delivery spends: the record's value as written (0 for a null value)."""
    if record.raw_value is not None:
        return len(record.raw_value)
    return 0


def _slot(record: Record) -> Hashable:
    # A key that is not UTF-8 is a key too (its bytes; no text key equals bytes).
    key = record.key if record.binary_key is None else record.binary_key
    return ("key", key) if key is not None else ("partition", record.partition)


def _at(record: Record, positions: Mapping[int, int]) -> dict[int, int]:
    """Positions that resume at `record` itself."""
    return {**positions, record.partition: record.offset}


def _limited(registry: LimitsRegistry, reason: str, cursor: str, wait: float) -> RateLimited:
    limits = registry.settings
    return RateLimited(
        f"{reason}: this caller may receive {limits.delivery_messages_per_s} messages and "
        f"{limits.delivery_bytes_per_s} bytes per second across its subscriptions "
        "(limits.delivery_messages_per_s, limits.delivery_bytes_per_s); resubscribe with "
        "`after` set to extensions.cursor to continue where this stream ended",
        cursor=cursor,
        retryAfter=max(1, int(wait + 0.999)),
    )


async def _next(matched: AsyncIterator[Matched]) -> Matched:
    # Module level: a closure would cost every idle subscription a function and its cells.
    return await matched.__anext__()


async def deliver(
    registry: LimitsRegistry,
    principal: str,
    matched: AsyncIterator[Matched],
    cursors: CursorSealer,
) -> AsyncGenerator[Any, None]:
    conflate = registry.settings.subscription_overflow == "conflate"
    pending = _Pending(registry, principal)
    reader = _Reader(matched)
    # The last delivered message's positions, for the cursor a closing stream reports (built
    # only then; the message itself is let go of once sent).
    last: Mapping[int, int] | None = None
    record: Record | None = None
    message: Any = None
    try:
        while True:
            while (message := pending.ready()) is not None:
                last = message.positions
                yield message
                message = None
            if not pending.waiting:
                pending.backlog = None
                if reader.done:
                    return
            timeout = pending.recheck_in()
            if reader.done:
                await asyncio.sleep(timeout or 0)
                continue
            if reader.task is None and not pending.waiting:
                # Nothing held back, so nothing to recheck while reading: read directly, without
                # a task per message (the common path of every delivery).
                try:
                    record, positions, message = await _next(matched)
                except StopAsyncIteration:
                    reader.done = True
                    continue
            else:
                read = await reader.next(timeout)
                if read is None:
                    continue
                record, positions, message = read
                del read
            if not pending.waiting and registry.try_deliver(principal, value_size(record)):
                last = message.positions
                record = None
                yield message
                message = None
                continue
            if not conflate:
                raise _over_budget(registry, principal, cursors, (record, positions), last)
            pending.hold(record, positions, message, cursors)
            record = message = None
    except StreamInterrupted as stopped:
        # Messages waiting here came before the failure: resume at the first of them.
        if pending.backlog is not None:
            stopped.positions = pending.backlog
        raise
    finally:
        pending.release()
        await reader.close()


def _over_budget(
    registry: LimitsRegistry,
    principal: str,
    cursors: CursorSealer,
    refused: tuple[Record, Mapping[int, int]],
    last: Mapping[int, int] | None,
) -> RateLimited:
    """A closing stream's error: it resumes after the last delivered message, or (before any
    delivery) at the refused one."""
    record, positions = refused
    wait = registry.delivery_wait(principal, value_size(record))
    cursor = (
        cursors.seal(record.topic, last)
        if last is not None
        else _cursor_at(cursors, record, positions)
    )
    return _limited(registry, "delivery budget exceeded", cursor, wait)


class _Pending:
    """A conflating stream's messages waiting for budget: the newest per key, in the order their
    newest message arrived."""

    __slots__ = ("_holdings", "_principal", "_registry", "_state", "backlog", "waiting")

    def __init__(self, registry: LimitsRegistry, principal: str) -> None:
        self._registry = registry
        self._principal = principal
        self._state = registry.state(principal)
        self._holdings = registry.holdings(principal)
        self.waiting: OrderedDict[Hashable, _Waiting] = OrderedDict()
        # Where to resume from if the stream must close or fails: at the first message that had
        # to wait since the stream last caught up.
        self.backlog: dict[int, int] | None = None

    def ready(self) -> Any:
        """The first waiting message, when the budget holds it now (spent), else None."""
        if not self.waiting:
            return None
        entry = next(iter(self.waiting.values()))
        if not self._registry.try_deliver(self._principal, value_size(entry.record)):
            return None
        self.waiting.popitem(last=False)
        self._state.held -= 1 + entry.skipped
        self._holdings.unpend(entry.size)
        message = entry.message
        message.skipped = entry.skipped
        message.resume_from = self.backlog
        return message

    def recheck_in(self) -> float | None:
        """How long to wait before the budget is asked again (None: nothing waits)."""
        if not self.waiting:
            return None
        first = next(iter(self.waiting.values())).record
        wait = self._registry.delivery_wait(self._principal, value_size(first))
        return min(max(wait, 0.001), RECHECK_S)

    def hold(
        self, record: Record, positions: Mapping[int, int], message: Any, cursors: CursorSealer
    ) -> None:
        """`message` waits, replacing the one of its key; RateLimited when it cannot."""
        registry, waiting = self._registry, self.waiting
        max_pending = registry.settings.max_pending_keys
        slot = _slot(record)
        previous = waiting.pop(slot, None)
        size = footprint(record)
        too_many = previous is None and len(waiting) >= max_pending
        if too_many or not self._holdings.pend(size - (previous.size if previous else 0)):
            if previous is not None:
                waiting[slot] = previous  # given back by release(), with the others
            reason = (
                f"more than {max_pending} keys are waiting for delivery (limits.max_pending_keys)"
                if too_many
                else "this caller's subscriptions keep more than "
                f"{registry.settings.max_pending_bytes} bytes of messages waiting for "
                "delivery (limits.max_pending_bytes)"
            )
            raise _limited(
                registry,
                reason,
                _cursor_at(cursors, record, positions)
                if self.backlog is None
                else cursors.seal(record.topic, self.backlog),
                registry.delivery_wait(self._principal, value_size(record)),
            )
        if self.backlog is None:
            self.backlog = _at(record, positions)
        skipped = previous.skipped + 1 if previous is not None else 0
        # The newest message of its key goes last: deliveries keep the order of arrival.
        waiting[slot] = _Waiting(record, message, skipped, size)
        self._state.held += 1

    def release(self) -> None:
        """What still waits when the stream ends is given back to the caller's counts."""
        self._state.held -= sum(1 + entry.skipped for entry in self.waiting.values())
        self._holdings.unpend(sum(entry.size for entry in self.waiting.values()))


class _Reader:
    """The stream's next match, read in a task while messages wait (so that waiting can be
    rechecked as the budget refills)."""

    __slots__ = ("_matched", "done", "task")

    def __init__(self, matched: AsyncIterator[Matched]) -> None:
        self._matched = matched
        self.task: asyncio.Task[Matched] | None = None
        self.done = False

    async def next(self, recheck_s: float | None) -> Matched | None:
        """The next match, or None: `recheck_s` passed first, or the stream ended (`done`)."""
        if self.task is None:
            self.task = asyncio.ensure_future(_next(self._matched))
        finished, _ = await asyncio.wait({self.task}, timeout=recheck_s)
        if not finished:
            return None
        task, self.task = self.task, None
        try:
            return task.result()
        except StopAsyncIteration:
            self.done = True
            return None
        finally:
            del task

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(BaseException):
                await self.task


def _cursor_at(cursors: CursorSealer, record: Record, positions: Mapping[int, int]) -> str:
    return cursors.seal(record.topic, _at(record, positions))
