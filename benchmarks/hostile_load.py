"""P11's load: callers sending the heaviest requests the limits allow, each in a closed loop (one
request in flight, the next as soon as the answer is in, throttled or not, as a hostile caller
would), and a `/healthz` probe in a process of its own, so that no client work delays it.
Answers are classified by a substring test, not parsed."""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import aiohttp

_CTX = multiprocessing.get_context("spawn")
PROBE_INTERVAL_S = 0.01


@dataclass(frozen=True)
class CallerSpec:
    url: str
    token: str | None
    kind: str  # what it sends: document, filter page, produce batch, typed page
    body: bytes


@dataclass
class CallerReport:
    kind: str
    ok: int = 0
    throttled: int = 0  # RATE_LIMITED, the caller's budget spent
    failed: int = 0
    first_error: str | None = None
    latencies_ms: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class WorkerSpec:
    duration_s: float
    callers: tuple[CallerSpec, ...] = ()
    probe_url: str | None = None  # GET every PROBE_INTERVAL_S, latencies measured


@dataclass
class WorkerReport:
    callers: list[CallerReport]
    probe_ms: list[float]
    probe_failed: int = 0


async def _call(session: aiohttp.ClientSession, spec: CallerSpec, report: CallerReport) -> None:
    headers = {"Content-Type": "application/json"}
    if spec.token:
        headers["Authorization"] = f"Bearer {spec.token}"
    started = time.perf_counter()
    try:
        async with session.post(spec.url, data=spec.body, headers=headers) as response:
            text = await response.text()
    except aiohttp.ClientError as error:
        report.failed += 1
        report.first_error = report.first_error or repr(error)
        return
    if "RATE_LIMITED" in text:
        report.throttled += 1
    elif response.status == 200 and '"errors"' not in text:
        report.ok += 1
        report.latencies_ms.append((time.perf_counter() - started) * 1000)
    else:
        report.failed += 1
        report.first_error = report.first_error or f"{response.status} {text[:300]}"


async def _probe(
    session: aiohttp.ClientSession, url: str, end: float, report: WorkerReport
) -> None:
    due = time.perf_counter()
    while due < end:
        started = time.perf_counter()
        try:
            async with session.get(url, timeout=aiohttp.ClientTimeout(total=30)) as response:
                await response.read()
                if response.status == 200:
                    report.probe_ms.append((time.perf_counter() - started) * 1000)
                else:
                    report.probe_failed += 1
        except (aiohttp.ClientError, TimeoutError):
            report.probe_failed += 1
        due += PROBE_INTERVAL_S
        await asyncio.sleep(max(0.0, due - time.perf_counter()))


async def _work(spec: WorkerSpec, conn: Connection) -> WorkerReport:
    report = WorkerReport([CallerReport(c.kind) for c in spec.callers], [])
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        if spec.probe_url:
            async with session.get(spec.probe_url) as response:  # the connection, first
                await response.read()
        conn.send("ready")
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)
        end = time.perf_counter() + spec.duration_s

        async def caller(i: int) -> None:
            while time.perf_counter() < end:
                await _call(session, spec.callers[i], report.callers[i])

        jobs = [caller(i) for i in range(len(spec.callers))]
        if spec.probe_url:
            jobs.append(_probe(session, spec.probe_url, end, report))
        await asyncio.gather(*jobs)
    return report


def _main(spec: WorkerSpec, conn: Connection) -> None:
    conn.send(asyncio.run(_work(spec, conn)))


async def _recv(conn: Connection, within_s: float) -> Any:
    if not await asyncio.get_running_loop().run_in_executor(None, conn.poll, within_s):
        raise TimeoutError("a load worker did not answer (see its traceback above)")
    return conn.recv()


async def run_workers(specs: list[WorkerSpec]) -> list[WorkerReport]:
    """One process per spec, all starting together once each is connected."""
    conns, procs = [], []
    for spec in specs:
        mine, theirs = _CTX.Pipe()
        proc = _CTX.Process(target=_main, args=(spec, theirs))
        proc.start()
        conns.append(mine)
        procs.append(proc)
    try:
        for conn in conns:
            await _recv(conn, 120)
        for conn in conns:
            conn.send("go")
        timeout = max(spec.duration_s for spec in specs) + 180
        return [await _recv(conn, timeout) for conn in conns]
    finally:
        for proc in procs:
            proc.join(10)
            if proc.is_alive():
                proc.kill()
                proc.join()
