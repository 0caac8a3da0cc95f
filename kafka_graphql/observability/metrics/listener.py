"""The metrics' own listener (`metrics.host`:`metrics.port`, never the public port), started and
stopped with the gateway; under `server.workers > 1`, a worker's is a Unix socket its supervisor
reads instead (federation.py)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, generate_latest

from kafka_graphql.core.typed.startup import StartupFailed
from kafka_graphql.http.state import KAFKA
from kafka_graphql.observability.metrics.merge import families_json
from kafka_graphql.observability.metrics.sink import MetricsSink
from kafka_graphql.runtime.loop_monitor import LoopMonitor
from kafka_graphql.settings import MetricsSettings

log = logging.getLogger(__name__)


@dataclass
class MetricsListener:
    sink: MetricsSink
    # A worker's socket, for its supervisor (None: serve on metrics.host:metrics.port).
    socket: Path | None = None
    # Where the metrics are, once served (with metrics.port 0, the port the system chose).
    url: str | None = None


METRICS = web.AppKey("metrics", MetricsListener)


def cannot_listen(settings: MetricsSettings, error: OSError) -> str:
    """The one line a start-up ends with when the metrics' listener cannot be opened."""
    reason = error.strerror or str(error)
    return (
        f"cannot serve the metrics on {settings.host}:{settings.port} (metrics.host, "
        f"metrics.port): {reason}"
    )


def add_metrics(
    app: web.Application, sink: MetricsSink, monitor: LoopMonitor, socket: Path | None = None
) -> None:
    """Serve `sink`'s metrics as long as `app` runs, with the event loop's lag from `monitor`."""
    monitor.observers.append(sink.families.loop_lag.observe)
    app[METRICS] = MetricsListener(sink, socket)
    app.cleanup_ctx.append(_listening)


async def _listening(app: web.Application) -> AsyncIterator[None]:
    listener = app[METRICS]
    settings = listener.sink.settings

    async def scrape(request: web.Request) -> web.Response:
        sink = listener.sink
        try:
            sink.refresh(app.get(KAFKA))
        except Exception:  # the figures folded so far are served all the same
            log.exception("the metrics could not read every figure")
        if listener.socket is not None:
            return web.Response(body=families_json(sink.registry), content_type="application/json")
        body = generate_latest(sink.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4})

    metrics = web.Application()
    metrics.router.add_get(settings.path, scrape)
    runner = web.AppRunner(metrics, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        site: web.BaseSite
        if listener.socket is not None:
            site = web.UnixSite(runner, str(listener.socket))
        else:
            site = web.TCPSite(runner, settings.host, settings.port)
        try:
            await site.start()
        except OSError as error:
            raise StartupFailed(cannot_listen(settings, error)) from None
        if listener.socket is None:
            host, port = runner.addresses[0][:2]
            shown = f"[{host}]" if ":" in host else host
            listener.url = f"http://{shown}:{port}{settings.path}"
            log.info("metrics: %s", listener.url)
        yield
    finally:
        await runner.cleanup()
