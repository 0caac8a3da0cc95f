"""G1 (`SendMessage` over gRPC beside P1, against a bare `grpc.aio` server with the same
producer) and G5 (`ReceiveMessages` fan-out beside P5: server CPU per delivery, against a bare
`grpc.aio` server broadcasting each record serialised once from one aiokafka consumer)."""

from __future__ import annotations

import asyncio
import time

from benchmarks import servers
from benchmarks.grpc_load import SendSpec, StreamPool, send_main
from benchmarks.http_load import run_http
from benchmarks.kafka_util import new_topic, produce_many, producer
from benchmarks.proc import Probe
from benchmarks.results import Row
from benchmarks.scenarios.base import Run
from benchmarks.scenarios.produce import Load, produce_row, summarise

LIVE_WITHIN_S = 120.0


async def send_load(target: str, probe: Probe, topic: str, run: Run) -> Load:
    o = run.options
    workers = o.http_workers
    shares = [max(1, o.in_flight // workers + (i < o.in_flight % workers)) for i in range(workers)]
    specs = [SendSpec(target, topic, share, o.duration_s) for share in shares]
    warm = [SendSpec(s.target, s.topic, s.in_flight, min(1.0, o.duration_s)) for s in specs]
    await run_http(warm, worker=send_main)
    cpu: list[float] = []
    reports = await run_http(specs, on_start=lambda: cpu.append(probe.cpu_s()), worker=send_main)
    return summarise(reports, probe.cpu_s() - cpu[0], probe.peak_rss_mb(), 1)


async def g1(run: Run) -> list[Row]:
    """`SendMessage` over gRPC, `in_flight` in flight, vs the bare grpc.aio server."""
    o = run.options
    topic = await new_topic(o.bootstrap, "g1")
    port = servers.free_port()
    async with servers.bare_grpc(o.bootstrap, topic, port) as bare_server:
        bare = await send_load(f"127.0.0.1:{port}", bare_server.probe, topic, run)
    port = servers.free_port()
    async with servers.gateway(o.bootstrap, extra=servers.grpc_table(port)) as gateway_server:
        gateway = await send_load(f"127.0.0.1:{port}", gateway_server.probe, topic, run)
    return [produce_row("G1", f"SendMessage over gRPC, {o.in_flight} in flight", gateway, bare)]


async def _fan_out(
    run: Run, server: servers.Server, target: str, topic: str, streams: int, messages: int
) -> dict[str, float]:
    """`streams` streams of `topic`, live; the server's CPU while `messages` records reach
    every one of them."""
    pool = StreamPool(target, topic, streams, run.options.sub_workers)
    try:
        async with producer(run.options.bootstrap) as client:
            end = time.monotonic() + LIVE_WITHIN_S
            while not await pool.live():
                if time.monotonic() > end:
                    raise TimeoutError(f"{server.name}: the streams did not all go live")
                await produce_many(client, topic, 1, [None])  # a warm-up record
                await asyncio.sleep(0.2)
            # The warm-up records still on their way are counted away first.
            await asyncio.sleep(0.5)
            await pool.count(0)
            cpu0, started = server.probe.cpu_s(), time.perf_counter()
            await produce_many(client, topic, messages, [None])
            delivered, client_cpu = await pool.count(messages)
            wall, cpu = time.perf_counter() - started, server.probe.cpu_s() - cpu0
    finally:
        pool.close()
    return {
        "delivered": delivered,
        "expected": streams * messages,
        "wall_s": wall,
        "server_cpu_s": cpu,
        "client_cpu_s": client_cpu,
    }


async def g5(run: Run) -> list[Row]:
    o = run.options
    rows: list[Row] = []
    for n in o.fanout:
        m = max(o.fanout_messages, o.fanout_deliveries // n)
        gw_topic, bare_topic = (
            await new_topic(o.bootstrap, "g5gw"),
            await new_topic(o.bootstrap, "g5bare"),
        )
        bare_port, gw_port = servers.free_port(), servers.free_port()
        async with servers.bare_grpc(o.bootstrap, bare_topic, bare_port) as bare:
            b = await _fan_out(run, bare, f"127.0.0.1:{bare_port}", bare_topic, n, m)
        async with servers.gateway(o.bootstrap, extra=servers.grpc_table(gw_port)) as gateway:
            g = await _fan_out(run, gateway, f"127.0.0.1:{gw_port}", gw_topic, n, m)
        g_us = g["server_cpu_s"] / max(1, g["delivered"]) * 1e6
        b_us = b["server_cpu_s"] / max(1, b["delivered"]) * 1e6
        ratio = b_us / g_us if g_us else None
        at_target = n == 1000
        complete = g["delivered"] >= g["expected"]
        rows.append(
            Row(
                "G5",
                f"gRPC stream fan-out to {n:,} streams, {m} msgs",
                g["delivered"] / g["wall_s"],
                b["delivered"] / b["wall_s"],
                "deliveries/s",
                ratio,
                ratio_text=f"{ratio:.2f} (CPU)" if ratio else "-",
                target=">= 0.6 (CPU)" if at_target else "",
                passed=(ratio is not None and ratio >= 0.6 and complete) if at_target else None,
                gateway_cpu_us=g_us,
                baseline_cpu_us=b_us,
                details={"streams": n, "gateway": g, "bare": b},
            )
        )
    return rows
