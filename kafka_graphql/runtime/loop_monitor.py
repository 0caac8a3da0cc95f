"""How long the event loop is held: a timer that notes how late it runs.

One process serves every caller on one event loop, so a callback that runs for a second makes
every other caller (and `/healthz`, and SIGTERM) wait a second. The monitor wakes every
`TICK_S`; how late a wake-up comes is how long the loop was held (to within a tick). It keeps
the longest stall and the recent ones, and logs a warning for a stall over
`server.loop_stall_warning_s` (at most one line per `WARN_EVERY_S`, counting the others), so an
operator learns that something is holding the loop before callers do.

A late wake-up has two causes: a callback of this process ran long, or the machine gave the
process no CPU (other processes, a VM's steal). Callers wait either way; only the first is the
gateway's to fix. So each stall is also measured in the CPU time the loop's thread used during
it (`longest_held_s`), which another process's load cannot inflate.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

TICK_S = 0.01
# Lags kept for `recent_lag_s`: the last second.
RECENT_TICKS = 100
WARN_EVERY_S = 10.0


@dataclass(frozen=True, slots=True)
class LoopLag:
    """The monitor's figures, in seconds."""

    # The longest the loop was held since the monitor started (or was last reset), in wall time
    # (what callers waited), and the longest in CPU time the loop's thread used meanwhile (what
    # this process's own work held).
    longest_stall_s: float
    longest_held_s: float
    # The longest over the last second or so.
    recent_lag_s: float
    # Stalls longer than the warning threshold since the start (or the last reset).
    stalls_over_threshold: int
    threshold_s: float


class LoopMonitor:
    """Measures the event loop it runs on; `run()` until cancelled (server.py starts it)."""

    def __init__(self, threshold_s: float) -> None:
        self._threshold_s = threshold_s
        self._longest = 0.0
        self._held = 0.0
        self._recent: deque[float] = deque(maxlen=RECENT_TICKS)
        self._stalls = 0
        self._unreported = 0
        self._warned_at = float("-inf")
        self._due = self._cpu = 0.0
        # Told every wake-up's lag, in seconds (the metrics' loop lag histogram).
        self.observers: list[Callable[[float], None]] = []

    @property
    def figures(self) -> LoopLag:
        return LoopLag(
            longest_stall_s=self._longest,
            longest_held_s=self._held,
            recent_lag_s=max(self._recent, default=0.0),
            stalls_over_threshold=self._stalls,
            threshold_s=self._threshold_s,
        )

    def reset(self) -> None:
        """Forget what was measured so far (a test or a benchmark measures one stretch); the
        tick under way is measured from now, so a stall that began before is not counted."""
        self._longest = 0.0
        self._held = 0.0
        self._recent.clear()
        self._stalls = 0
        self._unreported = 0
        self._restart_tick()

    def _restart_tick(self) -> None:
        # Wall time, not the loop's clock: a stall is a stretch of real time.
        self._due = time.perf_counter() + TICK_S
        self._cpu = time.thread_time()

    async def run(self) -> None:
        self._restart_tick()
        while True:
            await asyncio.sleep(TICK_S)
            now, cpu = time.perf_counter(), time.thread_time()
            lag = max(0.0, now - self._due)
            self.note(lag, min(lag, cpu - self._cpu))
            self._due, self._cpu = now + TICK_S, cpu

    def note(self, lag_s: float, held_s: float | None = None) -> None:
        """One wake-up that came `lag_s` late, `held_s` of it with the loop's thread running
        (None: all of it)."""
        for observe in self.observers:
            observe(lag_s)
        self._recent.append(lag_s)
        self._longest = max(self._longest, lag_s)
        self._held = max(self._held, lag_s if held_s is None else held_s)
        if lag_s <= self._threshold_s:
            return
        self._stalls += 1
        self._unreported += 1
        now = time.monotonic()
        if now - self._warned_at >= WARN_EVERY_S:
            self._warned_at = now
            log.warning(
                "the event loop was held for %.0f ms (%.0f ms of it running; %d stalls over "
                "%.0f ms since the last warning): every caller of this process waited",
                lag_s * 1000,
                (lag_s if held_s is None else held_s) * 1000,
                self._unreported,
                self._threshold_s * 1000,
            )
            self._unreported = 0

    def report(self) -> None:
        """Logs the figures (at shutdown, of the time the process served: benchmark P11 reads
        them from the log)."""
        figures = self.figures
        log.info(
            "event loop while serving: longest stall %.1f ms (%.1f ms running), %d stalls over "
            "%.0f ms",
            figures.longest_stall_s * 1000,
            figures.longest_held_s * 1000,
            figures.stalls_over_threshold,
            figures.threshold_s * 1000,
        )
