"""Long work in slices: a loop over many records gives the event loop back every few ms.

Every caller of a process shares its one event loop, so a page that scans 10,000 records with a
heavy filter must not run them in one go: the others (and `/healthz`, and SIGTERM) would wait for
all of it. A loop that may run long checks `due()` per item (a clock read, ~50 ns) and, when its
slice is spent, `await pause()`, which lets every socket and every other ready callback run.

How long a slice is depends on how many pieces of work are sliced at once: those that paused in
one turn of the loop all run again in the next, one after the other, before the loop looks at its
sockets again. So the slices of one turn share `TURN_S`: one page alone runs 10 ms at a time,
eight at once 1.25 ms each, and a turn stays near 10 ms however many there are, until each is down
to `MIN_SLICE_S` (a pause costs ~20 µs: a shorter slice would spend more on pausing than on
work). The figures come from benchmark P11 (docs/benchmarks.md), measured by
runtime/loop_monitor.py.
"""

from __future__ import annotations

import asyncio
import time
import weakref

TURN_S = 0.01
MIN_SLICE_S = 0.001


class _Turns:
    """Per event loop: how many slices paused in its last turn."""

    __slots__ = ("_loop", "_marked", "_pausing", "sliced")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._pausing = 0
        self._marked = False
        self.sliced = 1

    def pausing(self) -> None:
        self._pausing += 1
        if not self._marked:
            # Scheduled before the pausing task's own wake-up: it runs first in the next turn,
            # when every slice of this turn has paused.
            self._marked = True
            self._loop.call_soon(self._next_turn)

    def _next_turn(self) -> None:
        self._marked = False
        self.sliced, self._pausing = max(1, self._pausing), 0

    @property
    def slice_s(self) -> float:
        return max(MIN_SLICE_S, TURN_S / self.sliced)


_TURNS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Turns] = weakref.WeakKeyDictionary()


def _turns() -> _Turns:
    loop = asyncio.get_running_loop()
    turns = _TURNS.get(loop)
    if turns is None:
        turns = _TURNS[loop] = _Turns(loop)
    return turns


class Slices:
    """One piece of work's clock: `due()` once its slice is spent. Made in a coroutine."""

    __slots__ = ("_turns", "_until")

    def __init__(self) -> None:
        self._turns = _turns()
        self._until = time.perf_counter() + self._turns.slice_s

    def due(self) -> bool:
        return time.perf_counter() >= self._until

    async def pause(self) -> None:
        """Let the loop run its sockets and everything else that is ready, then a new slice."""
        self._turns.pausing()
        await asyncio.sleep(0)
        self._until = time.perf_counter() + self._turns.slice_s

    def restart(self) -> None:
        """A new slice, after the work waited (it held nothing while it did)."""
        self._until = time.perf_counter() + self._turns.slice_s

    async def tick(self) -> None:
        """`pause()` if the slice is spent (where the two lines would clutter a loop)."""
        if time.perf_counter() >= self._until:
            await self.pause()
