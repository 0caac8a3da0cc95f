"""Steps the subscriber scenarios share: get every subscription live, wait for quiet, and time a
burst of records from the first produce to the last frame, with the server's CPU over it."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer

from benchmarks.kafka_util import produce_many
from benchmarks.proc import Probe
from benchmarks.ws_load import Report, Socket, SubscriberPool, WorkerSpec, split


def pool_for(
    url: str,
    topic: str,
    sockets: Sequence[Socket],
    workers: int,
    *,
    latency: bool = False,
    compress: int = 0,
    from_offset: int | None = None,
    transport: str = "ws",
) -> SubscriberPool:
    specs = [
        WorkerSpec(url, topic, part, from_offset, latency, compress, transport)
        for part in split(sockets, workers)
    ]
    return SubscriberPool(specs)


async def quiet(pool: SubscriberPool, for_s: float = 1.0) -> None:
    """Returns once no frame has arrived for `for_s` seconds."""
    last, since = pool.total("frames"), time.monotonic()
    while time.monotonic() - since < for_s:
        await asyncio.sleep(0.05)
        now = pool.total("frames")
        if now != last:
            last, since = now, time.monotonic()


async def make_live(
    pool: SubscriberPool,
    client: AIOKafkaProducer,
    topic: str,
    marker_keys: Sequence[str | None] = (None,),
    timeout_s: float = 300,
    label: str = "",
) -> int:
    """Subscribes, then writes markers until every subscription has received one: each is then
    live, with no guess at how long subscribing takes. A new round of markers is written only
    once the last round stopped making subscriptions ready. Returns how many subscriptions
    ended before going live (an `error` instead of events): they are left out of the counts."""
    await pool.command("subscribe")
    target = pool.subscriptions
    deadline = time.monotonic() + timeout_s

    def settled() -> int:
        return pool.total("ready") + pool.total("failed")

    while settled() < target:
        if time.monotonic() > deadline or not pool.alive():
            raise TimeoutError(f"{pool.total('ready')} of {target} subscriptions live")
        await produce_many(client, topic, len(marker_keys), marker_keys)
        live = pool.total("ready")
        print(f"    {label} subscriptions live: {live}/{target}", file=sys.stderr, flush=True)
        last, since = settled(), time.monotonic()
        while settled() < target and time.monotonic() - since < 1.0:
            await asyncio.sleep(0.05)
            if (now := settled()) != last:
                last, since = now, time.monotonic()
    if failed := pool.total("failed"):
        print(f"    {label}: {failed} subscriptions ended before going live", file=sys.stderr)
    await quiet(pool)
    await pool.command("reset")
    return failed


@dataclass
class Burst:
    frames: int
    expected: int
    wall_s: float
    server_cpu_s: float
    reports: list[Report]

    @property
    def complete(self) -> bool:
        return self.frames >= self.expected

    @property
    def client_cpu_s(self) -> float:
        return sum(r.cpu_s for r in self.reports)

    @property
    def errors(self) -> list[str]:
        return [e for r in self.reports for e in r.errors]


async def burst(
    pool: SubscriberPool,
    probe: Probe,
    write: Callable[[], Awaitable[object]],
    expected: int,
    stall_s: float = 30.0,
    within_s: float = float("inf"),
) -> Burst:
    """Runs `write()` and waits until the subscribers have `expected` frames, none arrived for
    `stall_s` seconds, or `within_s` passed since the start. The server's CPU is measured from
    before the write to the end."""
    cpu0, started = probe.cpu_s(), time.perf_counter()
    await write()
    last, since = pool.total("frames"), time.perf_counter()
    end = started + within_s
    while (
        (now := pool.total("frames")) < expected
        and time.perf_counter() - since < stall_s
        and time.perf_counter() < end
    ):
        if now != last:
            last, since = now, time.perf_counter()
        await asyncio.sleep(0.01)
    # Incomplete: the time to the last frame seen, not the wait after it.
    wall = (time.perf_counter() if now >= expected else since) - started
    cpu = probe.cpu_s() - cpu0
    return Burst(pool.total("frames"), expected, wall, cpu, await pool.reports())
