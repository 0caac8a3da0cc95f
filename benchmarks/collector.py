"""`--tracing RATIO`: the gateway traces with OpenTelemetry's standard sampler variables
(`parentbased_traceidratio` at RATIO) and exports over OTLP/HTTP to a collector stand-in here,
which reads each export whole and answers 200 as a collector does. What tracing costs the gateway
is its spans, their serialisation and the export's round trip; the stand-in's own work runs in the
benchmark's process, not the gateway's."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from benchmarks.servers import free_port


def tracing_ratio() -> str | None:
    """`--tracing off|RATIO` (BENCH_TRACING): off by default."""
    ratio = os.environ.get("BENCH_TRACING", "off")
    return None if ratio == "off" else ratio


@asynccontextmanager
async def collector() -> AsyncIterator[list[int]]:
    """When tracing is on, a collector the gateways export to (their environment says where);
    yields the size of each export it received."""
    exports: list[int] = []
    ratio = tracing_ratio()
    if ratio is None:
        yield exports
        return

    async def traces(request: web.Request) -> web.Response:
        exports.append(len(await request.read()))
        return web.Response(content_type="application/x-protobuf")

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/v1/traces", traces)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    os.environ.update(
        OTEL_TRACES_SAMPLER="parentbased_traceidratio",
        OTEL_TRACES_SAMPLER_ARG=ratio,
        OTEL_TRACES_EXPORTER="otlp",
        OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=f"http://127.0.0.1:{port}/v1/traces",
    )
    try:
        yield exports
    finally:
        await runner.cleanup()
