"""The loop-lag monitor (runtime/loop_monitor.py): it sees a callback that holds the loop, tells it
from a process that got no CPU, warns once per stretch, and starts over when reset."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from kafka_graphql.runtime.loop_monitor import LoopMonitor


def busy(seconds: float) -> None:
    """Holds the loop, running for `seconds` of CPU time (more wall time on a loaded machine)."""
    until = time.thread_time() + seconds
    while time.thread_time() < until:
        pass


async def monitored(monitor: LoopMonitor, block: float, *, running: bool) -> None:
    task = asyncio.create_task(monitor.run())
    try:
        await asyncio.sleep(0.05)  # the monitor's first ticks
        # A callback that holds the loop: running, or sleeping as a process given no CPU does.
        asyncio.get_running_loop().call_soon(busy if running else time.sleep, block)
        await asyncio.sleep(0.05)  # the tick after it
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_callback_that_holds_the_loop_is_a_stall(caplog: pytest.LogCaptureFixture) -> None:
    monitor = LoopMonitor(threshold_s=0.1)
    with caplog.at_level(logging.WARNING, "kafka_graphql.runtime.loop_monitor"):
        await monitored(monitor, 0.3, running=True)
    figures = monitor.figures
    assert 0.25 <= figures.longest_held_s <= figures.longest_stall_s
    assert figures.stalls_over_threshold == 1
    (warning,) = caplog.records
    assert "the event loop was held for" in warning.getMessage()


async def test_a_stall_without_cpu_is_told_apart() -> None:
    """The loop's thread sleeping stands for a process the machine did not run: callers
    waited (the stall), but the gateway's own work held nothing (held)."""
    monitor = LoopMonitor(threshold_s=0.1)
    await monitored(monitor, 0.3, running=False)
    assert monitor.figures.longest_stall_s >= 0.25
    assert monitor.figures.longest_held_s < 0.1


def test_warnings_are_rate_limited_and_counted(caplog: pytest.LogCaptureFixture) -> None:
    monitor = LoopMonitor(threshold_s=0.1)
    with caplog.at_level(logging.WARNING, "kafka_graphql.runtime.loop_monitor"):
        for lag in (0.2, 0.3, 0.05, 0.4):
            monitor.note(lag, lag)
    assert len(caplog.records) == 1  # the others come within WARN_EVERY_S
    figures = monitor.figures
    assert figures.stalls_over_threshold == 3
    assert figures.longest_stall_s == figures.longest_held_s == 0.4
    assert figures.recent_lag_s == 0.4
    monitor.reset()
    assert monitor.figures.longest_stall_s == monitor.figures.stalls_over_threshold == 0


async def test_a_reset_starts_the_measure_afresh() -> None:
    """Start-up work that holds the loop up to the moment the figures are reset (what
    server.py does once it serves) is not counted as a stall while serving."""
    monitor = LoopMonitor(threshold_s=0.1)
    task = asyncio.create_task(monitor.run())
    try:
        await asyncio.sleep(0.05)

        def start_up() -> None:
            busy(0.3)
            monitor.reset()

        asyncio.get_running_loop().call_soon(start_up)
        await asyncio.sleep(0.05)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert monitor.figures.longest_held_s < 0.1
    assert monitor.figures.stalls_over_threshold == 0
