"""What the observability sinks cost per operation, on the CPU of the event loop's thread: the
telemetry calls one `produce` makes (operation started and ended, the write, its PRODUCER span
when tracing is on) with the sinks the settings turn on, against the same calls to no sink.

    python -m benchmarks.observability_cost [--tracing]

A microbenchmark beside P1 and P5 (docs/benchmarks.md): it needs no quiet machine, since it times
only this process's own CPU, and it isolates what the sinks add from everything else a request
does. P5's deliveries make no telemetry call (a stream counts them in place), so its share is
only the scrape's.
"""

from __future__ import annotations

import argparse
import io
import time
from collections.abc import Callable

from kafka_graphql.core.telemetry import NO_TELEMETRY, Operation, Telemetry, Write
from kafka_graphql.observability.logs.setup import configure_logging, reset_logging
from kafka_graphql.observability.sinks import telemetry_for
from kafka_graphql.settings import settings_from_mapping

ROUNDS = 20_000


def _operation() -> Operation:
    return Operation(
        face="graphql",
        operation_type="mutation",
        request_id="0123456789abcdef0123456789abcdef",
        principal="alice",
        source_ip="127.0.0.1",
        operation_name="Produce",
        topics={"bench-1"},
        started=time.monotonic(),
    )


def one_produce(telemetry: Telemetry) -> None:
    operation = _operation()
    telemetry.operation_started(operation)
    telemetry.record_headers()
    with telemetry.producing("bench-1") as span:
        span.acked(0, 42)
    telemetry.produced(Write("alice", "bench-1", [(0, 42)], 20, 0.002))
    operation.duration_s = 0.003
    telemetry.operation_ended(operation)


def cpu_per_call(call: Callable[[], None]) -> float:
    for _ in range(1_000):
        call()
    start = time.process_time()
    for _ in range(ROUNDS):
        call()
    return (time.process_time() - start) / ROUNDS


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tracing", action="store_true", help="with the trace sink too")
    args = parser.parse_args()
    tables: dict[str, object] = {
        "kafka": {"bootstrap_servers": "127.0.0.1:9"},
        "topics": [{"name": "bench-*"}],
        "metrics": {"enabled": True, "port": 0},
        "logging": {"format": "json", "level": "info"},
        "tracing": {"enabled": args.tracing},
    }
    environ = {"OTEL_TRACES_EXPORTER": "none"}
    settings = settings_from_mapping(tables, environ=environ)
    sink = io.StringIO()
    configure_logging(settings.logging, production=True, stream=sink)
    telemetry = telemetry_for(settings, environ)
    try:
        bare = cpu_per_call(lambda: one_produce(NO_TELEMETRY))
        full = cpu_per_call(lambda: one_produce(telemetry))
    finally:
        telemetry.close()
        reset_logging()
    sinks = "metrics, operation log (JSON)" + (", traces" if args.tracing else "")
    print(f"no sink: {bare * 1e6:.1f} µs per produce; {sinks}: {full * 1e6:.1f} µs")
    print(f"the sinks add {(full - bare) * 1e6:.1f} µs of the event loop's CPU per produce")


if __name__ == "__main__":
    main()
