"""`python -m benchmarks [P1 P5 ...] [--quick | --soak]`: runs the scenarios against the broker
named by $KAFKA_BOOTSTRAP_SERVERS (`make bench` starts a throw-away one), prints the table and
writes the results as JSON (then `python -m benchmarks.report` rewrites docs/benchmarks.md)."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import shlex
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.collector import collector, tracing_ratio
from benchmarks.options import Options
from benchmarks.results import RESULTS, Row, cells, save, scenario_order, table
from benchmarks.scenarios.base import Run, Scenario
from benchmarks.scenarios.consume import p4
from benchmarks.scenarios.fanout import p5, p6
from benchmarks.scenarios.grpc import g1, g5
from benchmarks.scenarios.hostile import p11
from benchmarks.scenarios.latency import p7, p8
from benchmarks.scenarios.memory import p9
from benchmarks.scenarios.produce import p1, p2, p3
from benchmarks.scenarios.rest import r1, r4
from benchmarks.scenarios.validation import v1
from benchmarks.servers import logs_on, metrics_on

# P10 is measured during P5 (the gateway's connections at each size): asking for it runs P5.
SCENARIOS: dict[str, Scenario] = {
    "P1": p1, "P2": p2, "P3": p3, "P4": p4, "P5": p5, "P6": p6, "P7": p7, "P8": p8, "P9": p9,
    "P11": p11, "V1": v1, "R1": r1, "R4": r4, "G1": g1, "G5": g5,
}  # fmt: skip


def _sizes(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(","))


def parse(argv: list[str]) -> tuple[list[str], Options, Path]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("scenarios", nargs="*", help="P1 .. P11, R1, R4, G1, G5, V1 (default: all)")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--soak", action="store_true", help="P9's churn for 300 s")
    parser.add_argument("--out", type=Path, help="JSON file (default results/latest.json)")
    parser.add_argument("--duration", type=float, help="P1-P3 seconds per side")
    parser.add_argument("--fanout", type=_sizes, help="P5 subscriber counts, e.g. 10,100,1000")
    parser.add_argument("--fanout-messages", type=int)
    parser.add_argument("--filter-subscribers", type=_sizes, help="P6 subscriber counts")
    parser.add_argument(
        "--filter-messages",
        type=int,
        help="P6 records per size (default 5,000; more amortise the cyclic GC's full collections)",
    )
    parser.add_argument("--idle", type=int, help="P9 idle subscriptions")
    parser.add_argument("--churn-s", type=float, help="P9 churn seconds")
    parser.add_argument("--sub-workers", type=int, help="subscriber client processes")
    parser.add_argument("--http-workers", type=int, help="P1/P3 client processes")
    parser.add_argument(
        "--compress", action="store_true", help="subscribers offer permessage-deflate"
    )
    parser.add_argument(
        "--profile", type=Path, help="py-spy the gateway into this folder (pip install py-spy)"
    )
    parser.add_argument(
        "--metrics",
        choices=("on", "off"),
        help="the gateway's Prometheus metrics, scraped every 5 s (default on, or $BENCH_METRICS)",
    )
    parser.add_argument(
        "--logs",
        choices=("on", "off"),
        help="the gateway's operation log, JSON as in production (default on, or $BENCH_LOGS)",
    )
    parser.add_argument(
        "--tracing",
        metavar="off|RATIO",
        help="OpenTelemetry traces, sampled at RATIO (parentbased_traceidratio) and exported over"
        " OTLP to a collector stand-in (default off, or $BENCH_TRACING)",
    )
    args = parser.parse_args(argv)
    wanted = [s.upper() for s in args.scenarios] or [*SCENARIOS]
    if "P10" in wanted:
        wanted = [s for s in wanted if s != "P10"] + ([] if "P5" in wanted else ["P5"])
    unknown = [s for s in wanted if s not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}: P1 .. P11, R1, R4, G1, G5, V1")
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if not bootstrap:
        parser.error("set KAFKA_BOOTSTRAP_SERVERS (make bench starts a broker)")
    options = Options(bootstrap)
    if args.quick:
        options = options.quick()
    overrides = {
        "duration_s": args.duration,
        "fanout": args.fanout,
        "fanout_messages": args.fanout_messages,
        "filter_subscribers": args.filter_subscribers,
        "filter_messages": args.filter_messages,
        "idle_subscriptions": args.idle,
        "churn_s": 300.0 if args.soak else args.churn_s,
        "sub_workers": args.sub_workers,
        "http_workers": args.http_workers,
        "compress": 15 if args.compress else None,
    }
    options = dataclasses.replace(options, **{k: v for k, v in overrides.items() if v})
    if args.metrics:
        os.environ["BENCH_METRICS"] = args.metrics
    if args.logs:
        os.environ["BENCH_LOGS"] = args.logs
    if args.tracing:
        if args.tracing != "off" and not 0 <= float(args.tracing) <= 1:
            parser.error("--tracing: off or a ratio from 0 to 1")
        os.environ["BENCH_TRACING"] = args.tracing
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
        os.environ["BENCH_PROFILE"] = str(args.profile.resolve())
    out = args.out or RESULTS / ("quick.json" if args.quick else "latest.json")
    return sorted(wanted, key=scenario_order), options, out


async def main(argv: list[str]) -> int:
    wanted, options, out = parse(argv)
    async with collector() as exports:
        rows = await _scenarios(wanted, options, out, argv)
    if exports:
        print(f"the collector took {len(exports)} exports, {sum(exports)} bytes", file=sys.stderr)
    print()
    print(table(rows))
    print(f"\nwritten to {out}")
    return 0


async def _scenarios(wanted: list[str], options: Options, out: Path, argv: list[str]) -> list[Row]:
    """Each scenario in turn, its rows saved as soon as it ends."""
    run = Run(options)
    rows: list[Row] = []
    for name in wanted:
        started = time.monotonic()
        print(f"{name} ...", file=sys.stderr, flush=True)
        os.environ["BENCH_SCENARIO"] = name
        # One scenario failing must not lose the others' figures.
        try:
            new = await SCENARIOS[name](run)
        except Exception:  # noqa: BLE001
            traceback.print_exc()
            print(f"{name} FAILED", file=sys.stderr, flush=True)
            continue
        for row in new:
            print("  " + " | ".join(cells(row)), file=sys.stderr, flush=True)
        print(f"{name} took {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
        rows.extend(new)
        save(out, new, _meta(argv, options))
    return rows


def _meta(argv: list[str], options: Options) -> dict[str, object]:
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "metrics": "on" if metrics_on() else "off",
        "logs": "on" if logs_on() else "off",
        "tracing": tracing_ratio() or "off",
        "command": shlex.join(["python", "-m", "benchmarks", *argv]),
        "options": {k: v for k, v in dataclasses.asdict(options).items() if k != "bootstrap"},
    }


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
