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

A stream's `Subscription` (core/telemetry.py), when given, counts what was delivered and skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from typing import Any

from kafka_graphql.core.cursor import CursorSealer
from kafka_graphql.core.errors import StreamInterrupted
from kafka_graphql.core.limits.pending import Matched, Pending, value_size
from kafka_graphql.core.limits.registry import LimitsRegistry
from kafka_graphql.core.telemetry import Subscription
from kafka_graphql.kafka import Record

__all__ = ["Matched", "deliver", "value_size"]


async def _next(matched: AsyncIterator[Matched]) -> Matched:
    # Module level: a closure would cost every idle subscription a function and its cells.
    return await matched.__anext__()


async def deliver(
    registry: LimitsRegistry,
    principal: str,
    matched: AsyncIterator[Matched],
    cursors: CursorSealer,
    tally: Subscription | None = None,
) -> AsyncGenerator[Any, None]:
    pending = Pending(registry, principal, tally)
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
            if not pending.waiting and registry.try_deliver(principal, size := value_size(record)):
                last = message.positions
                record = None
                pending.count(size)
                yield message
                message = None
                continue
            # Over budget: the stream closes, or (conflating) the message waits.
            pending.hold(record, positions, message, cursors, last)
            record = message = None
    except StreamInterrupted as stopped:
        # Messages waiting here came before the failure: resume at the first of them.
        if pending.backlog is not None:
            stopped.positions = pending.backlog
        raise
    finally:
        pending.release()
        await reader.close()


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
