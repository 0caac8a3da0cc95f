"""The gateway the fuzz tests attack, in a process of its own, as `kafka-graphql serve` runs it
(the same app, the same event loop), with what the tests watch it by:

- every log record at ERROR or above, and every record that carries a traceback, kept with the
  traceback's last frame;
- a probe task in the gateway's event loop that records the longest time the loop went without
  running it: in wall-clock time, and in CPU time of the loop's thread (what the gateway itself
  spent; a machine busy with other processes inflates the first, not the second);
- the process's resident memory.

`GET /_fuzz/stats` answers them (`?reset=1` then forgets the errors and stalls seen so far,
`?gc=1` collects garbage before reading memory). Run as
`python -m tests.integration.fuzz_gateway SETTINGS.json BASE_DIR`; the first line it prints is
the port it listens on (on 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import socket
import sys
import threading
import time
import traceback
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web

from kafka_graphql.http.state import WEBSOCKETS
from kafka_graphql.runtime.event_loop import new_event_loop
from kafka_graphql.server import create_app
from kafka_graphql.settings import settings_from_mapping

log = logging.getLogger("fuzz_gateway")

# How often the probe asks to run: short, so that a stall is seen whatever it interrupts.
PROBE_INTERVAL_S = 0.005


class Watch:
    """What the tests read between examples."""

    def __init__(self) -> None:
        self.errors: list[dict[str, str]] = []
        self.stall_wall_s = 0.0
        self.stall_cpu_s = 0.0

    def reset(self) -> None:
        self.errors.clear()
        self.stall_wall_s = self.stall_cpu_s = 0.0


WATCH = Watch()
PORT = web.AppKey("fuzz_port", int)


class ErrorRecords(logging.Handler):
    """Keeps every record at ERROR or above, and every record with a traceback."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno < logging.ERROR and not record.exc_info:
            return
        last_frame = ""
        if record.exc_info and record.exc_info[2] is not None:
            frame = traceback.extract_tb(record.exc_info[2])[-1]
            error = record.exc_info[1]
            last_frame = (
                f"{frame.filename}:{frame.lineno} in {frame.name}: {type(error).__name__}: {error}"
            )
        WATCH.errors.append(
            {
                "logger": record.name,
                "level": record.levelname,
                "message": record.getMessage()[:2000],
                "last_frame": last_frame[:2000],
            }
        )


def _rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


async def _probe(app: web.Application) -> AsyncIterator[None]:
    async def probe() -> None:
        loop = asyncio.get_running_loop()
        while True:
            wall, cpu = loop.time(), time.thread_time()
            await asyncio.sleep(PROBE_INTERVAL_S)
            wall_gap = loop.time() - wall - PROBE_INTERVAL_S
            cpu_gap = time.thread_time() - cpu - PROBE_INTERVAL_S
            WATCH.stall_wall_s = max(WATCH.stall_wall_s, wall_gap)
            WATCH.stall_cpu_s = max(WATCH.stall_cpu_s, cpu_gap)

    task = asyncio.create_task(probe())
    # Started: the test that reads this line may connect (the listening socket holds it
    # until the server accepts).
    print(app[PORT], flush=True)
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _stats(request: web.Request) -> web.Response:
    if request.query.get("gc"):
        gc.collect()
    body: dict[str, Any] = {
        "errors": list(WATCH.errors),
        "stall_wall_ms": round(WATCH.stall_wall_s * 1000, 1),
        "stall_cpu_ms": round(WATCH.stall_cpu_s * 1000, 1),
        "rss_bytes": _rss_bytes(),
        # Sockets the server has not closed yet (the set keeps closed ones until collected).
        "websockets": sum(1 for ws in request.app[WEBSOCKETS] if not ws.closed),
        "tasks": len(asyncio.all_tasks()),
    }
    if request.query.get("reset"):
        WATCH.reset()
    return web.json_response(body)


def main(settings_file: str, base_dir: str) -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    logging.getLogger().addHandler(ErrorRecords())
    # Tracebacks Python prints without logging them: an exception in a thread, or one it had
    # to ignore (in a finalizer, ...).
    threading.excepthook = lambda args: log.error("exception in a thread", exc_info=args.exc_value)
    sys.unraisablehook = lambda unraisable: log.error(
        "ignored exception: %s", unraisable.err_msg, exc_info=unraisable.exc_value
    )
    raw = json.loads(Path(settings_file).read_text())
    settings = settings_from_mapping(raw, base_dir=Path(base_dir), environ={})
    app = create_app(settings)
    app.cleanup_ctx.append(_probe)
    app.router.add_get("/_fuzz/stats", _stats)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    app[PORT] = listener.getsockname()[1]
    web.run_app(
        app,
        sock=listener,
        print=None,
        access_log=None,
        shutdown_timeout=settings.server.shutdown_grace_s,
        loop=new_event_loop(settings.server.event_loop),
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
