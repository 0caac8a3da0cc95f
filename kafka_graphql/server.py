"""Composition root: builds the aiohttp application and runs it. Wiring only, no behaviour."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import time
import weakref
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import WSCloseCode, web

from kafka_graphql.core.compacted_topics import check_at_startup as check_compacted_topics
from kafka_graphql.core.cursor import CursorSealer
from kafka_graphql.core.cursor_keys import cursor_sealer
from kafka_graphql.core.kafka_layer import KafkaLayer
from kafka_graphql.core.limits.bucket import Clock
from kafka_graphql.core.limits.registry import LimitsRegistry
from kafka_graphql.core.telemetry import NO_TELEMETRY, Telemetry
from kafka_graphql.core.topics import TopicRegistry
from kafka_graphql.dev.dev_token import development_token
from kafka_graphql.graphql.app import add_graphql, typed_schema
from kafka_graphql.graphql.view import GRAPHQL_PATH
from kafka_graphql.grpc import GrpcServer
from kafka_graphql.http.authenticator import Authenticator
from kafka_graphql.http.bearer import FaceRoutes
from kafka_graphql.http.demo import add_demo_page
from kafka_graphql.http.errors import ParserRefusalsLog
from kafka_graphql.http.health import add_health_routes
from kafka_graphql.http.middlewares import middlewares
from kafka_graphql.http.request_id import add_request_id_header
from kafka_graphql.http.state import (
    AUTHENTICATOR,
    CURSORS,
    KAFKA,
    LIMITS,
    SETTINGS,
    TELEMETRY,
    TOPICS,
    TYPED,
    WEBSOCKETS,
    core_of,
)
from kafka_graphql.kafka import KafkaGateway
from kafka_graphql.observability.metrics import add_metrics
from kafka_graphql.observability.sinks import metrics_sink, telemetry_for
from kafka_graphql.rest import REST_MIDDLEWARES, REST_ROUTES, add_rest
from kafka_graphql.runtime.loop_monitor import LoopMonitor
from kafka_graphql.settings import Settings

log = logging.getLogger("kafka_graphql")

LOOP_MONITOR = web.AppKey("loop_monitor", LoopMonitor)
# The gRPC face's server, once started (`[grpc] enabled`).
GRPC_SERVER = web.AppKey("grpc_server", GrpcServer)


def create_app(
    settings: Settings,
    *,
    limits_clock: Clock = time.monotonic,
    cursors: CursorSealer | None = None,
    kafka: KafkaLayer | None = None,
    telemetry: Telemetry | None = None,
    metrics_socket: Path | None = None,
    tunes_collector: bool = False,
) -> web.Application:
    """The gateway for `settings`; `limits_clock` is the time budgets refill by (tests move it);
    `cursors` seals cursors (default: from `server.cursor_keys_env`, read now); `kafka` is the
    Kafka layer (default: a `KafkaGateway`, started, prepared and closed with the app; a given
    one is the caller's to start, prepare and close); `telemetry` receives what the gateway
    reports about itself (default: the sinks the settings turn on, closed with the app; a
    given one is the caller's to close); `metrics_socket`: a worker of `server.workers > 1`
    serves its metrics there, for its supervisor, instead of on `metrics.host`:`metrics.port`;
    `tunes_collector`: the process serves this app alone (`kafka-graphql`), so the app may set
    the cyclic collector's thresholds while it serves (GC_THRESHOLDS)."""
    closes_telemetry = telemetry is None
    topics = TopicRegistry(settings.topics)
    telemetry = telemetry_for(settings, topics=topics) if telemetry is None else telemetry
    authenticator = Authenticator(settings.auth, telemetry) if settings.auth is not None else None
    rest = settings.rest.enabled
    faces = [FaceRoutes.on_path(GRAPHQL_PATH), *([REST_ROUTES] if rest else [])]
    app = web.Application(
        client_max_size=settings.limits.max_request_bytes,
        handler_args={"logger": ParserRefusalsLog()},
        middlewares=middlewares(
            settings.server, authenticator, faces, REST_MIDDLEWARES if rest else ()
        ),
    )
    app[SETTINGS] = settings
    app[LOOP_MONITOR] = LoopMonitor(settings.server.loop_stall_warning_s)
    if authenticator is not None:
        app[AUTHENTICATOR] = authenticator
    app[TOPICS] = topics
    app[LIMITS] = LimitsRegistry(settings.limits, limits_clock)
    app[CURSORS] = cursors or cursor_sealer(settings.server, os.environ)
    app[WEBSOCKETS] = weakref.WeakSet()
    app[TYPED] = {}
    app[TELEMETRY] = telemetry
    # In this order: the loop monitor first, to measure the loop for as long as the app lives
    # (start-up and shutdown included); the typed topics' schema before Kafka.
    app.cleanup_ctx.extend([_loop_monitor, _authentication, typed_schema])
    if closes_telemetry and telemetry is not NO_TELEMETRY:
        # First, so that it closes last: what the rest reports on its way out is kept.
        app.cleanup_ctx.insert(0, _telemetry)
    metrics = metrics_sink(telemetry)
    if metrics is not None:
        add_metrics(app, metrics, app[LOOP_MONITOR], metrics_socket)
    if kafka is None:
        app.cleanup_ctx.append(_kafka)
    else:
        app[KAFKA] = kafka
    _add_hooks(app, tunes_collector)
    _add_routes(app, settings, rest)
    return app


def _add_hooks(app: web.Application, tunes_collector: bool) -> None:
    app.on_response_prepare.append(add_request_id_header)
    app.on_startup.append(_serving)
    if tunes_collector:
        app.on_startup.append(_collector_tuned)
    app.on_shutdown.extend([_served, _complete_streams])


def _add_routes(app: web.Application, settings: Settings, rest: bool) -> None:
    """The faces, the pages (GraphiQL's and the demo's start with the development token where
    there is one) and the probes."""
    dev_token = development_token(settings)
    add_graphql(app, settings, dev_token)
    if settings.server.demo_page:
        add_demo_page(app, dev_token)
    if rest:
        add_rest(app)
    _add_health_and_grpc(app, settings)


def _add_health_and_grpc(app: web.Application, settings: Settings) -> None:
    """The health routes; with `[grpc] enabled`, the gRPC server: after the Kafka layer (it
    serves the same core), so it stops before Kafka closes; it takes no new call from the start
    of the shutdown, while the streams are completed."""
    add_health_routes(app)
    if settings.grpc.enabled:
        app.cleanup_ctx.append(_grpc)
        app.on_shutdown.insert(0, _grpc_stopping)


async def _loop_monitor(app: web.Application) -> AsyncIterator[None]:
    monitor = app[LOOP_MONITOR]
    task = asyncio.create_task(monitor.run(), name="loop-monitor")
    try:
        yield
    finally:
        task.cancel()
        await asyncio.wait([task])


async def _telemetry(app: web.Application) -> AsyncIterator[None]:
    try:
        yield
    finally:
        # A sink may flush over the network (spans to a collector): off the event loop.
        await asyncio.to_thread(app[TELEMETRY].close)


# The cyclic collector's thresholds while serving (CPython's defaults: 700, 10, 10). What a
# delivery allocates lives for a few milliseconds (a record in a subscriber's inbox until its
# batch is offered, a frame until it is written); at 700 allocations per young collection much
# of it outlives two of them and is promoted to the oldest generation, whose growth then sets off
# full collections: each walks every live subscription's objects (~1 s at 5,000 subscriptions on
# this 2-core machine) and they came several times as often (benchmark P6: 700-1,000 µs of CPU
# per record at 5,000 filtered subscribers under load; ~210-330 with these on a quiet machine).
# A young collection of 50,000 objects takes a few milliseconds; the middle generation stays at
# 10 young collections, since collecting more at once lengthened P11's longest stall (97 ms
# with 20, 79 with 10, against its 100 ms bound).
GC_THRESHOLDS = (50_000, 10, 10)
GC_BEFORE = web.AppKey("gc_before", tuple[int, ...])


async def _serving(app: web.Application) -> None:
    # What start-up made (schemas, types, Kafka clients) lives as long as the process: out of
    # the collector's way, so that a full collection walks only what serving made. It walked
    # all of it, holding the loop ~100-200 ms at a time (benchmark P11).
    gc.freeze()
    # Start-up is over: the figures are about serving.
    app[LOOP_MONITOR].reset()


async def _collector_tuned(app: web.Application) -> None:
    app[GC_BEFORE] = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)


async def _served(app: web.Application) -> None:
    # As they were (a process that runs gateways in turn gets its own back).
    before = app.get(GC_BEFORE)
    if before is not None:
        gc.set_threshold(*before)
    app[LOOP_MONITOR].report()


async def _authentication(app: web.Application) -> AsyncIterator[None]:
    authenticator = app.get(AUTHENTICATOR)
    if authenticator is None:
        log.warning(
            "no [auth] table: the gateway is open, and anyone who reaches it may read and "
            "write every exposed topic"
        )
        yield
        return
    async with authenticator:
        yield


async def _kafka(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    kafka = KafkaGateway(
        settings.kafka,
        max_headers=settings.limits.max_headers_per_record,
        readers_per_caller=settings.limits.max_readers_per_principal,
    )
    await kafka.start()
    try:
        await kafka.ensure_topics(app[TOPICS].topics_to_create())
        await check_compacted_topics(kafka, settings.topics, app[TOPICS])
        app[KAFKA] = kafka
        yield
    finally:
        await kafka.close()


async def _grpc(app: web.Application) -> AsyncIterator[None]:
    server = GrpcServer(core_of(app), app.get(AUTHENTICATOR))
    await server.start()
    app[GRPC_SERVER] = server
    try:
        yield
    finally:
        await server.stop(app[SETTINGS].server.shutdown_grace_s)


async def _grpc_stopping(app: web.Application) -> None:
    server = app.get(GRPC_SERVER)
    if server is not None:
        server.stopping(app[SETTINGS].server.shutdown_grace_s)


async def _complete_streams(app: web.Application) -> None:
    """SIGTERM: complete every subscription, then close the sockets as 'going away'."""
    grace = app[SETTINGS].server.shutdown_grace_s
    await app[KAFKA].close_streams(grace)
    websockets = app[WEBSOCKETS]
    sockets = list(websockets)
    if sockets:
        await asyncio.wait(
            [asyncio.create_task(ws.close(code=WSCloseCode.GOING_AWAY)) for ws in sockets],
            timeout=grace,
        )
