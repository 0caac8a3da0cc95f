"""P1-P3: producing over HTTP through the gateway, beside the bare handler (P1, P3) and raw
aiokafka batched produce (P2)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer

from benchmarks import servers
from benchmarks.http_load import HttpReport, HttpSpec, run_http
from benchmarks.kafka_util import new_topic
from benchmarks.results import Row, percentile
from benchmarks.scenarios.base import Run


@dataclass
class Load:
    rate: float  # operations per second
    p50_ms: float
    p99_ms: float
    server_cpu_us: float  # per operation
    client_cpu_us: float
    peak_rss_mb: float
    errors: int = 0
    first_error: str | None = None
    details: dict[str, float] = field(default_factory=dict)


async def http_load(
    server: servers.Server,
    topic: str,
    run: Run,
    *,
    rate: float = 0,
    batch: int = 0,
    rest: bool = False,
) -> Load:
    """`rest`: REST (Confluent v2) produces of one record instead of GraphQL's."""
    o = run.options
    url = f"{server.url}/topics/{topic}" if rest else server.graphql
    workers = 1 if batch else o.http_workers
    in_flight = o.batch_in_flight if batch else o.in_flight
    specs = [
        HttpSpec(
            url,
            topic,
            in_flight=max(1, in_flight // workers + (i < in_flight % workers)),
            duration_s=o.duration_s,
            rate=rate / workers,
            batch=batch,
            rest=rest,
        )
        for i in range(workers)
    ]
    # A short run first: connections, metadata, the gateway's first requests.
    warm = [dataclasses.replace(s, duration_s=min(1.0, o.duration_s)) for s in specs]
    await run_http(warm)
    cpu: list[float] = []
    reports = await run_http(specs, on_start=lambda: cpu.append(server.probe.cpu_s()))
    cpu_s = server.probe.cpu_s() - cpu[0]
    return summarise(reports, cpu_s, server.probe.peak_rss_mb(), batch or 1)


def summarise(reports: list[HttpReport], server_cpu_s: float, rss: float, per_op: int) -> Load:
    ok = sum(r.ok for r in reports)
    latencies = [x for r in reports for x in r.latencies_ms]
    wall = max(r.wall_s for r in reports)
    operations = max(1, ok * per_op)
    return Load(
        rate=ok * per_op / wall,
        p50_ms=percentile(latencies, 50),
        p99_ms=percentile(latencies, 99),
        server_cpu_us=server_cpu_s / operations * 1e6,
        client_cpu_us=sum(r.cpu_s for r in reports) / operations * 1e6,
        peak_rss_mb=rss,
        errors=sum(r.errors for r in reports),
        first_error=next((r.first_error for r in reports if r.first_error), None),
    )


def compared(gateway: Load, bare: Load) -> dict[str, object]:
    return {
        "gateway": gateway.__dict__,
        "bare": bare.__dict__,
        "client_cpu_us_per_op": {"gateway": gateway.client_cpu_us, "bare": bare.client_cpu_us},
    }


async def p1(run: Run) -> list[Row]:
    """`produce` over HTTP, 32 in flight, vs the bare handler."""
    o = run.options
    topic = await new_topic(o.bootstrap, "p1")
    async with servers.bare_http(o.bootstrap) as bare_server:
        bare = await http_load(bare_server, topic, run)
    async with servers.gateway(o.bootstrap) as gateway_server:
        gateway = await http_load(gateway_server, topic, run)
    run.found["p1_gateway_rate"] = gateway.rate
    run.found["p1_bare_rate"] = bare.rate
    return [produce_row("P1", f"produce over HTTP, {o.in_flight} in flight", gateway, bare)]


def produce_row(scenario: str, label: str, gateway: Load, bare: Load) -> Row:
    """A produce rate beside the bare handler's (P1's target)."""
    ratio = gateway.rate / bare.rate if bare.rate else None
    return Row(
        scenario,
        label,
        gateway.rate,
        bare.rate,
        "msg/s",
        ratio,
        target=">= 0.7",
        passed=ratio is not None and ratio >= 0.7 and not gateway.errors,
        gateway_cpu_us=gateway.server_cpu_us,
        baseline_cpu_us=bare.server_cpu_us,
        gateway_rss_mb=gateway.peak_rss_mb,
        baseline_rss_mb=bare.peak_rss_mb,
        details=compared(gateway, bare),
    )


async def _raw_batches(run: Run, topic: str) -> Load:
    """Raw aiokafka: `batch_in_flight` loops, each writing `batch_size` records and awaiting
    them all; this process's CPU is the server CPU."""
    o = run.options
    client = AIOKafkaProducer(
        bootstrap_servers=o.bootstrap, enable_idempotence=True, acks="all", linger_ms=1
    )
    await client.start()
    latencies: list[float] = []
    try:

        async def batch(n: int) -> None:
            started = time.perf_counter()
            futures = [
                await client.send(topic, json.dumps({"n": n, "i": i}).encode())
                for i in range(o.batch_size)
            ]
            await asyncio.gather(*futures)
            latencies.append((time.perf_counter() - started) * 1000)

        await batch(0)
        latencies.clear()
        cpu0, started = time.process_time(), time.perf_counter()
        end = started + o.duration_s

        async def loop() -> None:
            while time.perf_counter() < end:
                await batch(len(latencies))

        await asyncio.gather(*(loop() for _ in range(o.batch_in_flight)))
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu0
    finally:
        await client.stop()
    messages = len(latencies) * o.batch_size
    return Load(
        messages / wall,
        percentile(latencies, 50),
        percentile(latencies, 99),
        cpu / messages * 1e6,
        0.0,
        0.0,
    )


async def p2(run: Run) -> list[Row]:
    """`produceBatch` of 100 over HTTP vs raw aiokafka batched produce."""
    o = run.options
    topic = await new_topic(o.bootstrap, "p2")
    raw = await _raw_batches(run, topic)
    async with servers.gateway(o.bootstrap) as gateway_server:
        gateway = await http_load(gateway_server, topic, run, batch=o.batch_size)
    ratio = gateway.rate / raw.rate if raw.rate else None
    return [
        Row(
            "P2",
            f"produceBatch of {o.batch_size}, {o.batch_in_flight} in flight",
            gateway.rate,
            raw.rate,
            "msg/s",
            ratio,
            target=">= 0.8",
            passed=ratio is not None and ratio >= 0.8 and not gateway.errors,
            gateway_cpu_us=gateway.server_cpu_us,
            baseline_cpu_us=raw.server_cpu_us,
            gateway_rss_mb=gateway.peak_rss_mb,
            details=compared(gateway, raw),
        )
    ]


async def p3(run: Run) -> list[Row]:
    """p99 of `produce` at half the gateway's maximum rate (P1's, or measured now), both sides
    at that same offered rate, open loop."""
    o = run.options
    topic = await new_topic(o.bootstrap, "p3")
    async with servers.gateway(o.bootstrap) as gateway_server:
        if "p1_gateway_rate" not in run.found:
            run.found["p1_gateway_rate"] = (await http_load(gateway_server, topic, run)).rate
        rate = run.found["p1_gateway_rate"] / 2
        gateway = await http_load(gateway_server, topic, run, rate=rate)
    async with servers.bare_http(o.bootstrap) as bare_server:
        bare = await http_load(bare_server, topic, run, rate=rate)
    overhead = gateway.p99_ms - bare.p99_ms
    found = compared(gateway, bare)
    found["offered_rate"] = rate
    return [
        Row(
            "P3",
            f"produce p99 at {rate:,.0f}/s (half the gateway's max)",
            gateway.p99_ms,
            bare.p99_ms,
            "ms",
            overhead,
            ratio_text=f"+{overhead:.1f} ms",
            target="<= +5 ms",
            passed=overhead <= 5 and not gateway.errors,
            gateway_cpu_us=gateway.server_cpu_us,
            baseline_cpu_us=bare.server_cpu_us,
            gateway_rss_mb=gateway.peak_rss_mb,
            baseline_rss_mb=bare.peak_rss_mb,
            details=found,
        )
    ]
