"""Signal handling of a worker process."""

from __future__ import annotations

import asyncio
import signal

from aiohttp import web


def stop_once_on_signals(loop: asyncio.AbstractEventLoop) -> None:
    """A worker's stop signals (runtime/workers.py): SIGTERM or SIGINT stops it gracefully once,
    however many arrive (a signal sent to the whole process group as well does no harm)."""
    stopping = False

    def stop() -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            raise web.GracefulExit

    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(stop_signal, stop)
