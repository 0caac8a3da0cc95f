"""Produce load over HTTP: worker processes posting GraphQL `produce`/`produceBatch` requests,
or REST (Confluent v2) produces of one record, closed-loop (N in flight) or open-loop (a fixed
rate). Responses are checked with a substring test, not parsed. The bare handler (bare_http.py)
reads the same bodies."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import aiohttp

PRODUCE = "mutation($t: String!, $v: JSON!) { produce(topic: $t, value: $v) { offset } }"
PRODUCE_BATCH = (
    "mutation($t: String!, $m: [MessageInput!]!) "
    "{ produceBatch(topic: $t, messages: $m) { offset } }"
)
REST_JSON = "application/vnd.kafka.json.v2+json"
_CTX = multiprocessing.get_context("spawn")


@dataclass(frozen=True)
class HttpSpec:
    url: str
    topic: str
    in_flight: int  # closed loop: requests outstanding at all times
    duration_s: float
    rate: float = 0.0  # open loop: requests per second (in_flight is then ignored)
    batch: int = 0  # messages per produceBatch; 0: single produce
    rest: bool = False  # `url` is a REST produce's (`/topics/{topic}`), one record per request


@dataclass
class HttpReport:
    ok: int
    errors: int
    first_error: str | None
    latencies_ms: list[float]
    cpu_s: float
    wall_s: float


def _body(spec: HttpSpec, n: int) -> bytes:
    if spec.rest:
        return json.dumps({"records": [{"value": {"n": n}}]}).encode()
    variables: dict[str, object]
    if spec.batch:
        messages = [{"value": {"n": n, "i": i}} for i in range(spec.batch)]
        query, variables = PRODUCE_BATCH, {"t": spec.topic, "m": messages}
    else:
        query, variables = PRODUCE, {"t": spec.topic, "v": {"n": n}}
    return json.dumps({"query": query, "variables": variables}).encode()


async def _load(spec: HttpSpec, conn: Connection) -> HttpReport:
    report = HttpReport(0, 0, None, [], 0.0, 0.0)
    headers = {"Content-Type": REST_JSON if spec.rest else "application/json"}
    # A GraphQL answer says `errors` when it failed; a REST one each record's `error_code`.
    failed, written = '"errors"', '"error_code":null'
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:

        async def one(n: int) -> None:
            body = _body(spec, n)
            started = time.perf_counter()
            try:
                async with session.post(spec.url, data=body, headers=headers) as response:
                    text = await response.text()
                    good = response.status == 200 and (
                        written in text if spec.rest else failed not in text
                    )
            except aiohttp.ClientError as error:
                text, good = repr(error), False
            if good:
                report.ok += 1
                report.latencies_ms.append((time.perf_counter() - started) * 1000)
            else:
                report.errors += 1
                report.first_error = report.first_error or text[:500]

        await one(0)  # the connection, before the clock starts
        report.ok, report.latencies_ms = 0, []
        conn.send("ready")
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)
        cpu0, started = time.process_time(), time.perf_counter()
        end = started + spec.duration_s
        counter = iter(range(1, 1 << 62))
        if spec.rate:
            tasks = set()
            interval, due = 1 / spec.rate, started
            while due < end:
                task = asyncio.create_task(one(next(counter)))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                due += interval
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
            await asyncio.gather(*tasks)
        else:

            async def loop() -> None:
                while time.perf_counter() < end:
                    await one(next(counter))

            await asyncio.gather(*(loop() for _ in range(spec.in_flight)))
        report.wall_s = time.perf_counter() - started
        report.cpu_s = time.process_time() - cpu0
    return report


async def _recv(conn: Connection, within_s: float) -> Any:
    if not await asyncio.get_running_loop().run_in_executor(None, conn.poll, within_s):
        raise TimeoutError("a load worker did not answer (see its traceback above)")
    return conn.recv()


def _main(spec: HttpSpec, conn: Connection) -> None:
    conn.send(asyncio.run(_load(spec, conn)))


async def run_http(
    specs: Sequence[Any], on_start: Any = None, worker: Callable[[Any, Connection], None] = _main
) -> list[HttpReport]:
    """Runs one worker process per spec, all starting together once each holds its connection.
    `on_start()` is called just before they start (the caller's CPU snapshot). `worker`: the
    process's function (another protocol's load, benchmarks/grpc_load.py)."""
    conns, procs = [], []
    for spec in specs:
        mine, theirs = _CTX.Pipe()
        proc = _CTX.Process(target=worker, args=(spec, theirs))
        proc.start()
        conns.append(mine)
        procs.append(proc)
    try:
        for conn in conns:
            await _recv(conn, 120)  # "ready"
        if on_start is not None:
            on_start()
        for conn in conns:
            conn.send("go")
        timeout = max(spec.duration_s for spec in specs) + 120
        return [await _recv(conn, timeout) for conn in conns]
    finally:
        for proc in procs:
            proc.join(10)
            if proc.is_alive():
                proc.kill()
                proc.join()
