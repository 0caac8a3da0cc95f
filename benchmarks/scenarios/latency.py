"""P7 (produce -> subscriber latency at a fixed rate) and P8 (one stalled subscriber among 100:
the others' throughput and p99, beside a run without it)."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
from aiokafka import AIOKafkaProducer

from benchmarks import servers
from benchmarks.drive import burst, make_live
from benchmarks.kafka_util import new_topic, produce_paced, producer
from benchmarks.results import Row, percentile
from benchmarks.scenarios.base import Run
from benchmarks.ws_load import Socket, SubscriberPool, WorkerSpec, split


@dataclass
class Paced:
    sent: int
    delivered: int
    expected: int
    per_subscriber_rate: float  # messages/s each live subscriber received
    p50_ms: float
    p99_ms: float  # messages never delivered count as infinitely late
    server_cpu_us: float  # per delivery
    client_cpu_us: float
    errors: list[str]
    skipped: int | None = None  # the bare server's frames not sent to a full socket


async def paced(
    run: Run,
    server: servers.Server,
    client: AIOKafkaProducer,
    topic: str,
    rate: float,
    subscribers: int,
    *,
    stalled: bool = False,
    pad: int = 0,
) -> Paced:
    o = run.options
    live = subscribers - stalled
    specs = [
        WorkerSpec(server.ws, topic, part, latency=True, compress=o.compress)
        for part in split([Socket()] * live, o.sub_workers)
    ]
    if stalled:
        specs.append(WorkerSpec(server.ws, topic, (Socket(stalled=True),), compress=o.compress))
    pool = SubscriberPool(specs)
    await pool.start()
    try:
        live -= await make_live(pool, client, topic, label=server.name)
        sent: list[int] = []

        async def write() -> None:
            sent.append(await produce_paced(client, topic, rate, o.latency_duration_s, pad))

        # `expected` is only known once written: the duration sets it; rounding aside, this is it.
        expected = int(rate * o.latency_duration_s) * live
        # Messages not delivered within 10 s after the last was written count as never.
        within = o.latency_duration_s + 10
        b = await burst(pool, server.probe, write, expected, stall_s=5.0, within_s=within)
    finally:
        await pool.close()
    skipped = None
    if server.name == "bare-ws":
        async with aiohttp.ClientSession() as http, http.get(f"{server.url}/skipped") as answer:
            skipped = int(await answer.text())
    expected = sent[0] * live
    latencies = [x for r in b.reports for x in r.latencies_ms]
    latencies += [float("inf")] * max(0, expected - len(latencies))
    return Paced(
        sent[0],
        b.frames,
        expected,
        b.frames / live / b.wall_s,
        percentile(latencies, 50),
        percentile(latencies, 99),
        b.server_cpu_s / max(1, b.frames) * 1e6,
        b.client_cpu_s / max(1, b.frames) * 1e6,
        b.errors[:3],
        skipped,
    )


async def p7(run: Run) -> list[Row]:
    o = run.options
    n, rate = o.latency_subscribers, o.latency_rate
    gw_topic = await new_topic(o.bootstrap, "p7gw")
    bare_topic = await new_topic(o.bootstrap, "p7bare")
    async with producer(o.bootstrap, linger_ms=0) as client:
        async with servers.bare_ws(o.bootstrap, bare_topic) as bare:
            b = await paced(run, bare, client, bare_topic, rate, n)
            bare_rss = bare.probe.peak_rss_mb()
        async with servers.gateway(o.bootstrap) as gateway:
            g = await paced(run, gateway, client, gw_topic, rate, n)
            gw_rss = gateway.probe.peak_rss_mb()
    return [
        Row(
            "P7",
            f"produce -> subscriber p99, {rate:,.0f} msg/s to {n} subscribers",
            g.p99_ms,
            b.p99_ms,
            "ms",
            ratio_text=f"p50 {g.p50_ms:.1f} / {b.p50_ms:.1f} ms",
            target="<= 20 ms",
            passed=g.p99_ms <= 20,
            gateway_cpu_us=g.server_cpu_us,
            baseline_cpu_us=b.server_cpu_us,
            gateway_rss_mb=gw_rss,
            baseline_rss_mb=bare_rss,
            details={"gateway": g.__dict__, "bare": b.__dict__},
        )
    ]


def _change(after: float, before: float) -> float:
    """The change in percent; NaN when the run without a stall had no finite figure (the server
    did not keep up at all: nothing to compare with)."""
    if before in (0, float("inf")):
        return float("nan")
    return (after - before) / before * 100


async def p8(run: Run) -> list[Row]:
    o = run.options
    n, rate, pad = o.latency_subscribers, o.stall_rate, o.stall_value_bytes
    results: dict[str, dict[bool, Paced]] = {"gateway": {}, "bare": {}}
    rss: dict[str, float] = {}
    async with producer(o.bootstrap, linger_ms=0) as client:
        for name in ("bare", "gateway"):
            for stalled in (False, True):
                topic = await new_topic(o.bootstrap, f"p8{name}")
                if name == "gateway":
                    context = servers.gateway(o.bootstrap)
                else:
                    context = servers.bare_ws(o.bootstrap, topic)
                async with context as server:
                    results[name][stalled] = await paced(
                        run, server, client, topic, rate, n, stalled=stalled, pad=pad
                    )
                    rss[name] = server.probe.peak_rss_mb()
    rows = []
    for what, attr in (("throughput", "per_subscriber_rate"), ("p99", "p99_ms")):
        g, b = (
            _change(getattr(results[name][True], attr), getattr(results[name][False], attr))
            for name in ("gateway", "bare")
        )
        rows.append(
            Row(
                "P8",
                f"one stalled subscriber of {n}: others' {what} change "
                f"({rate:,.0f} msg/s of {pad} B)",
                g,
                b,
                "%",
                ratio_text=f"{g:+.1f}%" if g == g else "n/a: no finite p99",
                target="within 5%",
                passed=abs(g) <= 5,  # NaN fails
                gateway_cpu_us=results["gateway"][True].server_cpu_us,
                baseline_cpu_us=results["bare"][True].server_cpu_us,
                gateway_rss_mb=rss["gateway"],
                baseline_rss_mb=rss["bare"],
                details={
                    name: {str(k): v.__dict__ for k, v in runs.items()}
                    for name, runs in results.items()
                },
            )
        )
    return rows
