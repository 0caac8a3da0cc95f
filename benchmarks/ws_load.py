"""Subscriber load: worker processes, each holding many graphql-transport-ws sockets that count
`next` frames without parsing them (a substring test on the frame's head).

The coordinator (this benchmark process) steers the workers through a pipe (`subscribe`,
`reset`, `report`, `close`) and watches their progress in shared counters, so that it never
waits on a worker's event loop. Each worker reports its own CPU time: client CPU beside server
CPU shows whether the load generator kept up (docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import aiohttp

from benchmarks import http_stream_load

SUBSCRIBE = (
    "subscription($t: String!, $f: MessageFilter, $o: Long) "
    "{ messages(topic: $t, filter: $f, fromOffset: $o) { offset value } }"
)
_CTX = multiprocessing.get_context("spawn")


@dataclass(frozen=True)
class Socket:
    """One WebSocket: its subscriptions' filter keys (None: no filter), one per subscription."""

    keys: tuple[str | None, ...] = (None,)
    stalled: bool = False  # never reads after `connection_ack` (and has a tiny receive buffer)


@dataclass(frozen=True)
class WorkerSpec:
    url: str
    topic: str
    sockets: tuple[Socket, ...]
    from_offset: int | None = None
    latency: bool = False  # read the `"t":` send time out of each frame
    compress: int = 0  # permessage-deflate window bits offered (0: none)
    # "ws" (graphql-transport-ws), or an HTTP stream per subscription: "sse", "multipart"
    transport: str = "ws"


@dataclass
class Report:
    per_socket: list[int]
    latencies_ms: list[float]
    cpu_s: float
    errors: list[str]


def _sent_at(frame: str) -> float | None:
    at = frame.find('"t":')
    if at < 0:
        return None
    end = at + 4
    while frame[end] not in ",}":
        end += 1
    return float(frame[at + 4 : end])


def _small_buffer(addr_info: Any) -> socket.socket:
    family, kind, proto, _, _ = addr_info
    sock = socket.socket(family=family, type=kind, proto=proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    return sock


def _frame_id(frame: str) -> str:
    at = frame.index('"id"') + 4
    start = frame.index('"', at) + 1
    return frame[start : frame.index('"', start)]


class _Worker:
    def __init__(self, spec: WorkerSpec, index: int, shared: dict[str, Any]) -> None:
        self.spec = spec
        self.index = index
        self.frames = shared["frames"]
        self.ready = shared["ready"]
        self.opened = shared["opened"]
        self.failed = shared["failed"]
        self.counts = [0] * len(spec.sockets)
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.cpu0 = time.process_time()
        self.sockets: list[aiohttp.ClientWebSocketResponse] = []
        self.session: aiohttp.ClientSession | None = None
        self.readers: list[asyncio.Task[None]] = []
        self.pending: list[set[str]] = [set() for _ in spec.sockets]

    async def open(self, session: aiohttp.ClientSession, i: int) -> None:
        if self.spec.transport != "ws":
            # An HTTP stream opens with its subscription.
            self.session = session
            self.opened[self.index] += 1
            return
        ws = await session.ws_connect(
            self.spec.url, protocols=["graphql-transport-ws"], compress=self.spec.compress
        )
        await ws.send_str('{"type":"connection_init"}')
        ack = await ws.receive(timeout=60)
        if '"connection_ack"' not in str(ack.data):
            raise RuntimeError(f"no connection_ack: {ack.data!r}")
        self.sockets.append(ws)
        self.opened[self.index] += 1

    async def subscribe(self) -> None:
        if self.spec.transport != "ws":
            self.subscribe_streams()
            return
        for i, (ws, sock) in enumerate(zip(self.sockets, self.spec.sockets, strict=True)):
            for j, key in enumerate(sock.keys):
                variables: dict[str, object] = {"t": self.spec.topic}
                if key is not None:
                    variables["f"] = {"key": key}
                if self.spec.from_offset is not None:
                    variables["o"] = self.spec.from_offset
                sub_id = f"s{j}"
                self.pending[i].add(sub_id)
                payload = {"query": SUBSCRIBE, "variables": variables}
                message = {"id": sub_id, "type": "subscribe", "payload": payload}
                await ws.send_str(json.dumps(message))
            if sock.stalled:
                # aiohttp would go on reading into memory: stop reading the socket itself.
                transport = ws._conn.transport if ws._conn else None
                if transport is None:
                    raise RuntimeError("the stalled socket has no transport")
                transport.pause_reading()
            else:
                self.readers.append(asyncio.create_task(self.read(i, ws)))

    def subscribe_streams(self) -> None:
        url = "http" + self.spec.url.removeprefix("ws")
        assert self.session is not None
        for i, sock in enumerate(self.spec.sockets):
            for key in sock.keys:
                variables: dict[str, object] = {"t": self.spec.topic}
                if key is not None:
                    variables["f"] = {"key": key}
                if self.spec.from_offset is not None:
                    variables["o"] = self.spec.from_offset
                counted = self._stream_counter(i)
                reading = http_stream_load.stream(
                    self.session, url, self.spec.transport, SUBSCRIBE, variables, counted
                )
                self.readers.append(asyncio.create_task(reading))

    def _stream_counter(self, i: int) -> Callable[[int, str], None]:
        live = [False]

        def counted(count: int, error: str) -> None:
            me = self.index
            if error and len(self.errors) < 5:
                self.errors.append(error[:500])
            if not live[0]:
                live[0] = True
                if count:
                    self.ready[me] += 1
                else:
                    self.failed[me] += 1
            self.counts[i] += count
            self.frames[me] += count

        return counted

    async def read(self, i: int, ws: aiohttp.ClientWebSocketResponse) -> None:
        pending = self.pending[i]
        frames, ready, me = self.frames, self.ready, self.index
        latency = self.spec.latency
        async for message in ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            data: str = message.data
            if '"next"' not in data[:48]:
                if len(self.errors) < 5:
                    self.errors.append(data[:500])
                if pending and '"id"' in data and (sub_id := _frame_id(data)) in pending:
                    pending.discard(sub_id)  # ended (`error`, `complete`) before going live
                    self.failed[me] += 1
                continue
            self.counts[i] += 1
            frames[me] += 1
            if pending:
                sub_id = _frame_id(data)
                if sub_id in pending:
                    pending.discard(sub_id)
                    ready[me] += 1
            if latency:
                sent = _sent_at(data)
                if sent is not None:
                    self.latencies.append((time.time() - sent) * 1000)

    async def churn(self, seconds: float) -> int:
        """Subscribe/complete cycles on every socket for `seconds`; returns how many."""
        if not self.readers:
            self.readers = [
                asyncio.create_task(self.read(i, ws)) for i, ws in enumerate(self.sockets)
            ]
        end = time.monotonic() + seconds
        payload = {"query": SUBSCRIBE, "variables": {"t": self.spec.topic}}

        async def cycle(ws: aiohttp.ClientWebSocketResponse) -> int:
            n = 0
            while time.monotonic() < end:
                sub_id = f"c{n}"
                message = {"id": sub_id, "type": "subscribe", "payload": payload}
                await ws.send_str(json.dumps(message))
                await asyncio.sleep(0.05)  # the load's pace: a subscription lives 50 ms
                await ws.send_str(json.dumps({"id": sub_id, "type": "complete"}))
                n += 1
            return n

        return sum(await asyncio.gather(*(cycle(ws) for ws in self.sockets)))

    def reset(self) -> None:
        self.counts = [0] * len(self.spec.sockets)
        self.latencies = []
        self.frames[self.index] = 0
        self.cpu0 = time.process_time()

    def report(self) -> Report:
        return Report(
            self.counts, self.latencies, time.process_time() - self.cpu0, list(self.errors)
        )

    async def close(self) -> None:
        for task in self.readers:
            task.cancel()
        for task in self.readers:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for ws in self.sockets:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 2)


async def _run(spec: WorkerSpec, index: int, shared: dict[str, Any], conn: Connection) -> None:
    worker = _Worker(spec, index, shared)
    loop = asyncio.get_running_loop()
    commands: asyncio.Queue[str] = asyncio.Queue()
    loop.add_reader(conn.fileno(), lambda: commands.put_nowait(conn.recv()))
    # A stalled socket's tiny receive buffer, set before it connects, keeps the window small: the
    # server's own buffers then fill within seconds instead of after megabytes.
    stalled = any(s.stalled for s in spec.sockets)
    connector = aiohttp.TCPConnector(limit=0, socket_factory=_small_buffer if stalled else None)
    async with aiohttp.ClientSession(connector=connector) as session:
        opening = asyncio.Semaphore(20)

        async def open_one(i: int) -> None:
            async with opening:
                await worker.open(session, i)

        await asyncio.gather(*(open_one(i) for i in range(len(spec.sockets))))
        while True:
            command = await commands.get()
            if command == "subscribe":
                await worker.subscribe()
                conn.send("ok")
            elif command == "reset":
                worker.reset()
                conn.send("ok")
            elif command.startswith("churn:"):
                conn.send(await worker.churn(float(command[6:])))
            elif command == "report":
                conn.send(worker.report())
            elif command == "close":
                await worker.close()
                conn.send("ok")
                return


def _main(spec: WorkerSpec, index: int, shared: dict[str, Any], conn: Connection) -> None:
    asyncio.run(_run(spec, index, shared, conn))


@dataclass
class SubscriberPool:
    """Worker processes holding the sockets of `specs`, one process per spec."""

    specs: Sequence[WorkerSpec]
    _conns: list[Connection] = field(default_factory=list)
    _procs: list[Any] = field(default_factory=list)
    _shared: dict[str, Any] = field(default_factory=dict)

    @property
    def subscriptions(self) -> int:
        return sum(len(s.keys) for spec in self.specs for s in spec.sockets if not s.stalled)

    async def start(self) -> None:
        n = len(self.specs)
        # Each worker writes only its own slot: no lock.
        self._shared = {
            name: _CTX.Array("q", n, lock=False) for name in ("frames", "ready", "opened", "failed")
        }
        for index, spec in enumerate(self.specs):
            mine, theirs = _CTX.Pipe()
            proc = _CTX.Process(target=_main, args=(spec, index, self._shared, theirs))
            proc.start()
            self._conns.append(mine)
            self._procs.append(proc)
        sockets = sum(len(spec.sockets) for spec in self.specs)
        await self.until(lambda: self.total("opened") >= sockets, "sockets opened", 600)

    def total(self, name: str) -> int:
        return int(sum(self._shared[name][:]))

    def alive(self) -> bool:
        return all(p.is_alive() for p in self._procs)

    async def until(self, done: Any, what: str, within_s: float) -> None:
        deadline = time.monotonic() + within_s
        while not done():
            if not self.alive():
                raise RuntimeError(f"a subscriber worker died waiting for {what}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for {what}")
            await asyncio.sleep(0.02)  # polling shared counters

    async def command(self, command: str) -> list[Any]:
        """Sends `command` to every worker and returns their answers, once all have done it."""
        for conn in self._conns:
            conn.send(command)
        loop = asyncio.get_running_loop()
        return [await loop.run_in_executor(None, conn.recv) for conn in self._conns]

    async def reports(self) -> list[Report]:
        return await self.command("report")

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.command("close"), 30)
        for proc in self._procs:
            proc.join(5)
            if proc.is_alive():
                proc.kill()
                proc.join()


def split(sockets: Sequence[Socket], workers: int) -> list[tuple[Socket, ...]]:
    """`sockets` dealt round-robin over at most `workers` processes."""
    workers = max(1, min(workers, len(sockets)))
    return [tuple(sockets[i::workers]) for i in range(workers)]
