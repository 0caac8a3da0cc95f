"""P9: memory per idle subscription (10,000 open, 100 per socket), and RSS after a spell of
subscribe/complete churn beside the start (`--churn-s`; 60 s by default, `--soak`: 300 s)."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer

from benchmarks import servers
from benchmarks.drive import make_live, pool_for
from benchmarks.kafka_util import new_topic, producer
from benchmarks.results import Row
from benchmarks.scenarios.base import Run
from benchmarks.ws_load import Socket

PER_SOCKET = 100
CHURN_SOCKETS = 20
SETTLE_S = 3.0  # lets the server finish what the last step started before RSS is read


async def _idle(
    run: Run, server: servers.Server, client: AIOKafkaProducer, topic: str
) -> dict[str, float]:
    o = run.options
    count = o.idle_subscriptions
    sockets = [Socket((None,) * PER_SOCKET) for _ in range(count // PER_SOCKET)]
    pool = pool_for(server.ws, topic, sockets, o.sub_workers, compress=o.compress)
    churners = pool_for(server.ws, topic, [Socket(())] * CHURN_SOCKETS, 1, compress=o.compress)
    await pool.start()
    await churners.start()
    try:
        await asyncio.sleep(SETTLE_S)
        before = server.probe.rss_kb()
        failed = await make_live(pool, client, topic, label=server.name)
        await asyncio.sleep(SETTLE_S)
        start = server.probe.rss_kb()
        cycles = sum(await churners.command(f"churn:{o.churn_s}"))
        await asyncio.sleep(SETTLE_S)
        end = server.probe.rss_kb()
    finally:
        await churners.close()
        await pool.close()
    live = pool.subscriptions - failed
    return {
        "subscriptions": live,
        "failed_to_start": failed,
        "rss_sockets_only_kb": before,
        "rss_start_kb": start,
        "rss_after_churn_kb": end,
        "kb_per_subscription": (start - before) / live,
        "churn_growth_pct": (end - start) / start * 100,
        "churn_s": o.churn_s,
        "churn_cycles": cycles,
        "peak_rss_mb": server.probe.peak_rss_mb(),
    }


async def p9(run: Run) -> list[Row]:
    o = run.options
    gw_topic = await new_topic(o.bootstrap, "p9gw")
    bare_topic = await new_topic(o.bootstrap, "p9bare")
    async with producer(o.bootstrap) as client:
        async with servers.bare_ws(o.bootstrap, bare_topic) as bare:
            b = await _idle(run, bare, client, bare_topic)
        async with servers.gateway(o.bootstrap) as gateway:
            g = await _idle(run, gateway, client, gw_topic)
    n = int(g["subscriptions"])
    return [
        Row(
            "P9",
            f"memory per idle subscription, {n:,} open",
            g["kb_per_subscription"],
            b["kb_per_subscription"],
            "KB",
            ratio_text=f"{g['kb_per_subscription']:.1f} KB",
            target="<= 20 KB",
            passed=g["kb_per_subscription"] <= 20,
            gateway_rss_mb=g["peak_rss_mb"],
            baseline_rss_mb=b["peak_rss_mb"],
            details={"gateway": g, "bare": b},
        ),
        Row(
            "P9",
            f"RSS after {o.churn_s:.0f} s of subscribe/complete churn "
            f"({int(g['churn_cycles']):,} cycles)",
            g["churn_growth_pct"],
            b["churn_growth_pct"],
            "%",
            ratio_text=f"{g['churn_growth_pct']:+.1f}%",
            target="within 5%",
            passed=abs(g["churn_growth_pct"]) <= 5,
            gateway_rss_mb=g["peak_rss_mb"],
            baseline_rss_mb=b["peak_rss_mb"],
        ),
    ]
