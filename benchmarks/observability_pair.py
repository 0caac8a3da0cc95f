"""What the observability sinks cost P1, measured in pairs: two gateways run side by side on one
broker, one with every sink off and one with them on (metrics scraped every 5 s, the JSON
operation log, tracing at a sampling ratio exported to a collector stand-in), and the same load
drives them in turn, a short slice each, alternating which goes first. Each slice gives the
gateway's CPU per produce; the figure is the median of the per-round ratios on/off.

    python -m benchmarks.observability_pair [--rounds 12] [--slice 3] [--tracing 0.01|off]

Why pairs: on a shared machine the load drifts by more than the 5% being measured between two
runs a minute apart (P1's CPU per produce moved by ±15% run to run). Slices a few seconds apart,
on gateways that both stay up, see the same machine; what drifts cancels in each round's ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import statistics
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from benchmarks import servers
from benchmarks.collector import collector
from benchmarks.kafka_util import new_topic
from benchmarks.options import Options
from benchmarks.scenarios.base import Run
from benchmarks.scenarios.produce import http_load

SINKS = ("BENCH_METRICS", "BENCH_LOGS", "BENCH_TRACING")


@asynccontextmanager
async def _gateway(bootstrap: str, on: bool, tracing: str) -> AsyncIterator[servers.Server]:
    """A gateway with every sink on or off (its configuration is written as it starts)."""
    saved = {name: os.environ.get(name) for name in SINKS}
    os.environ.update(
        BENCH_METRICS="on" if on else "off",
        BENCH_LOGS="on" if on else "off",
        BENCH_TRACING=tracing if on else "off",
    )
    try:
        server = servers.gateway(bootstrap)
        entered = await server.__aenter__()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    try:
        yield entered
    finally:
        await server.__aexit__(None, None, None)


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--slice", type=float, default=3.0, help="seconds of load per slice")
    parser.add_argument("--tracing", default="0.01", help="the on gateway's sampling ratio, or off")
    args = parser.parse_args(argv)
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if not bootstrap:
        parser.error("set KAFKA_BOOTSTRAP_SERVERS")
    run = Run(dataclasses.replace(Options(bootstrap), duration_s=args.slice))
    topic = await new_topic(bootstrap, "pair")
    os.environ["BENCH_TRACING"] = args.tracing  # the collector stand-in, when tracing is on
    async with collector(), AsyncExitStack() as stack:
        off = await stack.enter_async_context(_gateway(bootstrap, False, args.tracing))
        on = await stack.enter_async_context(_gateway(bootstrap, True, args.tracing))
        ratios: list[float] = []
        cpu: dict[str, list[float]] = {"off": [], "on": []}
        for round_ in range(args.rounds):
            order = [("off", off), ("on", on)]
            if round_ % 2:
                order.reverse()
            for name, server in order:
                load = await http_load(server, topic, run)
                cpu[name].append(load.server_cpu_us)
            ratios.append(cpu["on"][-1] / cpu["off"][-1])
            print(
                f"round {round_ + 1}: off {cpu['off'][-1]:.0f} µs, on {cpu['on'][-1]:.0f} µs"
                f" of gateway CPU per produce ({ratios[-1]:.3f})",
                file=sys.stderr,
                flush=True,
            )
    median = statistics.median(ratios)
    print(
        f"gateway CPU per produce, median: off {statistics.median(cpu['off']):.0f} µs,"
        f" on {statistics.median(cpu['on']):.0f} µs (tracing {args.tracing});"
        f" median of the rounds' on/off: {median:.3f} ({(median - 1) * 100:+.1f}%)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
