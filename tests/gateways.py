"""A real gateway on a real socket (127.0.0.1, a free port), as `kafka-graphql` serves it: over
the real broker (tests/integration), or over a stand-in for Kafka (tests/unit/transport)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web

from kafka_graphql.core.cursor import CursorSealer
from kafka_graphql.core.kafka_layer import KafkaLayer
from kafka_graphql.core.limits.bucket import Clock
from kafka_graphql.core.telemetry import Telemetry
from kafka_graphql.http.state import KAFKA
from kafka_graphql.kafka import KafkaGateway
from kafka_graphql.server import create_app
from kafka_graphql.settings import MetricsSettings, Settings
from kafka_graphql.settings.tls import server_ssl_context


@dataclass
class RunningGateway:
    app: web.Application
    url: str
    runner: web.AppRunner
    stopped: bool = False

    async def stop(self) -> None:
        """What SIGTERM does under `web.run_app`: the runner's graceful shutdown."""
        if not self.stopped:
            self.stopped = True
            await self.runner.cleanup()

    @property
    def kafka(self) -> KafkaGateway:
        """The real Kafka layer the gateway made (not a stand-in)."""
        kafka = self.app[KAFKA]
        assert isinstance(kafka, KafkaGateway), kafka
        return kafka


@asynccontextmanager
async def run_gateway(
    settings: Settings,
    limits_clock: Clock = time.monotonic,
    kafka: KafkaLayer | None = None,
    cursors: CursorSealer | None = None,
    telemetry: Telemetry | None = None,
    tunes_collector: bool = False,
) -> AsyncIterator[RunningGateway]:
    """`kafka`: the Kafka layer (default: the real one `create_app` makes for `settings`);
    `telemetry`: what the gateway reports to (default: the sinks of `settings`). Metrics are
    off unless `settings` turn them on on port 0 (any free port; the app's `METRICS` listener
    names it): the default port is `make run`'s, or another test's. So is the gRPC face's."""
    if settings.metrics.port != 0:
        settings = settings.model_copy(update={"metrics": MetricsSettings(enabled=False)})
    if settings.grpc.enabled and settings.grpc.port != 0:
        # The demo's 50051 may be `make run`'s, or another test's: a free port instead (the
        # app's GRPC_SERVER names it).
        grpc = settings.grpc.model_copy(update={"port": 0})
        settings = settings.model_copy(update={"grpc": grpc})
    app = create_app(
        settings,
        limits_clock=limits_clock,
        cursors=cursors,
        kafka=kafka,
        telemetry=telemetry,
        tunes_collector=tunes_collector,
    )
    runner = web.AppRunner(app)
    await runner.setup()
    # As `kafka-graphql` serves: HTTPS when the settings name a certificate and key.
    tls = server_ssl_context(settings.server.tls_cert_file, settings.server.tls_key_file)
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls)
    await site.start()
    host, port = runner.addresses[0][:2]
    scheme = "https" if tls else "http"
    running = RunningGateway(app, f"{scheme}://{host}:{port}/graphql", runner)
    try:
        yield running
    finally:
        await running.stop()
