"""Composition root: builds the aiohttp application and runs it. Wiring only, no behaviour."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import time
import weakref
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import TypeGuard

from aiohttp import WSCloseCode, hdrs, web
from cross_web import AiohttpHTTPRequestAdapter, AsyncHTTPRequestAdapter, HTTPException
from strawberry.aiohttp.views import GraphQLView
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult, SubscriptionExecutionResult
from strawberry.types.unset import UnsetType

from kafka_graphql.allowed_hosts import allowed_hosts, allowed_hosts_middleware
from kafka_graphql.auth.authenticator import Authenticator
from kafka_graphql.auth.http import (
    PRINCIPAL,
    authentication_middleware,
    check_authenticated,
    unauthenticated_response,
)
from kafka_graphql.core.auth.field_rules import FieldRules
from kafka_graphql.core.auth.principal import Principal
from kafka_graphql.core.compacted_topics import check_at_startup as check_compacted_topics
from kafka_graphql.core.cursor import CursorSealer
from kafka_graphql.core.cursor_keys import cursor_sealer
from kafka_graphql.core.errors import Forbidden, Unauthenticated
from kafka_graphql.core.limits.bucket import Clock
from kafka_graphql.core.limits.registry import LimitsRegistry
from kafka_graphql.core.topics import TopicRegistry
from kafka_graphql.core.typed.records import TypedRecords
from kafka_graphql.core.typed.startup import StartupFailed, typed_topics
from kafka_graphql.cors import cors_middleware
from kafka_graphql.csrf import check_csrf
from kafka_graphql.graphql.context import Context
from kafka_graphql.graphql.graphiql import ASSETS_URL, local_graphiql_html
from kafka_graphql.graphql.limits.cost import UnknownWeight
from kafka_graphql.graphql.limits.operation import CostedSchema, throttle_http
from kafka_graphql.graphql.schema import build_schema
from kafka_graphql.graphql.schema.typed import NameClash
from kafka_graphql.graphql.shared import SharedGroups
from kafka_graphql.graphql.ws.auth import connection_init_token
from kafka_graphql.graphql.ws.protocols import (
    LegacyWSHandler,
    TooManyConnections,
    TransportWSHandler,
)
from kafka_graphql.graphql.ws.sending import GatewayWebSocketAdapter
from kafka_graphql.http_errors import ParserRefusalsLog, unexpected_errors_middleware
from kafka_graphql.http_requests import (
    RequestError,
    batch_requests,
    body_params,
    check_json_content_type,
    dumps,
    error_response,
    from_strawberry,
    graphql_request,
    loads_strict,
    query_string_params,
)
from kafka_graphql.kafka import KafkaGateway
from kafka_graphql.loop_monitor import LoopMonitor
from kafka_graphql.settings import Settings
from kafka_graphql.ws_compression import websocket_response

log = logging.getLogger("kafka_graphql")

SETTINGS = web.AppKey("settings", Settings)
KAFKA = web.AppKey("kafka", KafkaGateway)
TOPICS = web.AppKey("topics", TopicRegistry)
WEBSOCKETS = web.AppKey("websockets", weakref.WeakSet[web.WebSocketResponse])
TYPED = web.AppKey("typed", dict[str, TypedRecords])
AUTHENTICATOR = web.AppKey("authenticator", Authenticator)
LIMITS = web.AppKey("limits", LimitsRegistry)
CURSORS = web.AppKey("cursors", CursorSealer)
LOOP_MONITOR = web.AppKey("loop_monitor", LoopMonitor)
GRAPHQL_PATH = "/graphql"


class GatewayView(GraphQLView[Context, None]):
    """Strawberry's aiohttp view with our typed context, strict request reading with coded JSON
    refusals (http_requests.py), CSRF protection (csrf.py), checked WebSocket messages
    (ws_protocols.py), bounded WebSocket messages and, when its files are here, a GraphiQL page
    that needs no CDN."""

    local_graphiql_html: str | None = None
    # Groups of subscribers that share execution (None: `server.shared_subscriptions` is off).
    shared_groups: SharedGroups | None = None
    websocket_adapter_class = GatewayWebSocketAdapter
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        # Strawberry's __call__ answers its refusals in plain text (strawberry/aiohttp/views.py).
        try:
            return await self.run(request=request)
        except RequestError as error:
            return error_response(error)
        except Unauthenticated as refusal:
            return unauthenticated_response(refusal)
        except HTTPException as error:
            return error_response(from_strawberry(error, request.method))
        except web.HTTPRequestEntityTooLarge:
            limit = request.app[SETTINGS].limits.max_request_bytes
            return error_response(
                RequestError(f"the request body is larger than {limit} bytes", status=413)
            )

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        # Only GET and POST get here (Strawberry refuses other methods first), and only to run
        # an operation (not for the GraphiQL page).
        assert isinstance(request, AiohttpHTTPRequestAdapter)
        if AUTHENTICATOR in request.request.app:
            check_authenticated(request.request)
        settings = request.request.app[SETTINGS]
        max_query = settings.limits.max_query_bytes
        if request.method == "GET":
            query = query_string_params(request.request.rel_url.raw_query_string)
            return graphql_request(query, max_query)
        check_csrf(request.headers)
        check_json_content_type(request.content_type)
        max_batch = settings.limits.max_batch_operations if settings.server.batching else None
        params = body_params(await request.get_body(), max_batch)
        if isinstance(params, list):
            return batch_requests(params, max_query)
        return graphql_request(params, max_query)

    async def execute_operation(  # type: ignore[override]
        self,
        request: web.Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: web.Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
    ) -> ExecutionResult | list[ExecutionResult] | SubscriptionExecutionResult:
        # The operations of a batch run concurrently (as in Apollo Server), each through the
        # gate and charged on its own; the request is 429 only if every one was throttled.
        context.in_batch = isinstance(request_data, list)
        result = await super().execute_operation(
            request=request,
            request_adapter=request_adapter,
            sub_response=sub_response,
            context=context,
            root_value=root_value,
            request_data=request_data,
        )
        if isinstance(result, list):
            throttle_http(sub_response, result)
        return result

    async def reject_websocket(self, request: web.Request) -> web.Response:
        # A browser page on an origin outside `server.cors_allow_origins` (Strawberry's check,
        # before the upgrade); Strawberry's own answer is plain text.
        return error_response(
            RequestError(
                "WebSocket connections from this origin are not allowed",
                status=403,
                code=Forbidden.code,
            )
        )

    def decode_json(self, data: str | bytes) -> object:
        # WebSocket messages come through here too.
        return loads_strict(data)

    def encode_json(self, data: object) -> str:
        return dumps(data)

    def is_websocket_request(self, request: web.Request) -> TypeGuard[web.Request]:
        # Strawberry builds a WebSocketResponse to ask, on every request; without this header
        # its answer is no (aiohttp's WebSocketResponse._handshake).
        if request.headers.get(hdrs.UPGRADE, "").lower().strip() != "websocket":
            return False
        return super().is_websocket_request(request)

    @property
    def graphql_ide_html(self) -> str:
        return self.local_graphiql_html or super().graphql_ide_html

    async def get_context(
        self, request: web.Request, response: web.Response | web.WebSocketResponse
    ) -> Context:
        app = request.app
        typed: dict[str, TypedRecords] = app[TYPED]
        return Context(
            request=request,
            settings=app[SETTINGS],
            kafka=app[KAFKA],
            topics=app[TOPICS],
            cursors=app[CURSORS],
            typed=typed,
            response=response,
            principal=request.get(PRINCIPAL) or Principal.anonymous(request.remote),
            limits=app[LIMITS],
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Authenticates a WebSocket by its connection_init payload; an Unauthenticated raised
        here is answered the way each subprotocol says (ws_protocols.py)."""
        params, context.connection_params = context.connection_params, None
        authenticator = context.request.app.get(AUTHENTICATOR)
        if authenticator is not None:
            token = connection_init_token(params)
            context.principal = await authenticator.authenticate(token, context.request.remote)
        limits = context.limits
        if not limits.open_connection(context.principal.id):
            raise TooManyConnections(limits.settings.max_connections_per_principal)
        context.connection_slot = True
        return await super().on_ws_connect(context)

    async def create_websocket_response(
        self, request: web.Request, subprotocol: str | None
    ) -> web.WebSocketResponse:
        settings = request.app[SETTINGS]
        ws = websocket_response(
            settings.server,
            protocols=[subprotocol] if subprotocol else [],
            max_msg_size=settings.limits.max_request_bytes,
        )
        await ws.prepare(request)
        request.app[WEBSOCKETS].add(ws)
        return ws


VIEW = web.AppKey("view", GatewayView)


def create_app(
    settings: Settings,
    *,
    limits_clock: Clock = time.monotonic,
    cursors: CursorSealer | None = None,
) -> web.Application:
    """The gateway for `settings`; `limits_clock` is the time budgets refill by (tests move it);
    `cursors` seals cursors (default: from `server.cursor_keys_env`, read now)."""
    authenticator = Authenticator(settings.auth) if settings.auth is not None else None
    app = web.Application(
        client_max_size=settings.limits.max_request_bytes,
        handler_args={"logger": ParserRefusalsLog()},
        middlewares=[
            # First: a request for another host gets nothing else, not even a CORS answer.
            allowed_hosts_middleware(allowed_hosts(settings.server)),
            cors_middleware(settings.server.cors_allow_origins),
            unexpected_errors_middleware,
            *([authentication_middleware(authenticator, GRAPHQL_PATH)] if authenticator else []),
        ],
    )
    app[SETTINGS] = settings
    app[LOOP_MONITOR] = LoopMonitor(settings.server.loop_stall_warning_s)
    # First: it measures the loop for as long as the app lives, start-up and shutdown included.
    app.cleanup_ctx.append(_loop_monitor)
    if authenticator is not None:
        app[AUTHENTICATOR] = authenticator
    app.cleanup_ctx.append(_authentication)
    app[TOPICS] = TopicRegistry(settings.topics)
    app[LIMITS] = LimitsRegistry(settings.limits, limits_clock)
    app[CURSORS] = cursors or cursor_sealer(settings.server, os.environ)
    app[WEBSOCKETS] = weakref.WeakSet()
    app[TYPED] = {}
    app.cleanup_ctx.append(_typed_topics)
    app.cleanup_ctx.append(_kafka)
    app.on_startup.append(_serving)
    app.on_shutdown.append(_served)
    app.on_shutdown.append(_complete_streams)
    view = GatewayView(
        # Replaced at start-up when there are typed topics (their schemas may be in a registry).
        schema=build_schema(
            settings.limits, server=settings.server, rules=FieldRules.configured(settings.auth)
        ),
        graphql_ide="graphiql" if settings.server.serves_graphiql else None,
        allowed_origins=settings.server.cors_allow_origins,
        # Our own limit answers with a coded error first (ws_protocols.py, the same count); this
        # one is Strawberry's backstop.
        max_subscriptions_per_connection=settings.limits.max_subscriptions_per_connection + 1,
        connection_init_wait_timeout=timedelta(seconds=settings.limits.connection_init_timeout_s),
    )
    assets = Path(settings.server.graphiql_assets_dir)
    view.local_graphiql_html = (
        local_graphiql_html(assets) if settings.server.serves_graphiql else None
    )
    if view.local_graphiql_html is not None:
        app.router.add_static(ASSETS_URL, assets)
    if settings.server.shared_subscriptions:
        view.shared_groups = SharedGroups(view.encode_json, settings.limits, app[LIMITS].memory)
    app[VIEW] = view
    app.router.add_route("*", GRAPHQL_PATH, view)
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/readyz", _readyz)
    return app


async def _loop_monitor(app: web.Application) -> AsyncIterator[None]:
    monitor = app[LOOP_MONITOR]
    task = asyncio.create_task(monitor.run(), name="loop-monitor")
    try:
        yield
    finally:
        task.cancel()
        await asyncio.wait([task])


async def _serving(app: web.Application) -> None:
    # What start-up made (schemas, types, Kafka clients) lives as long as the process: out of
    # the collector's way, so that a full collection walks only what serving made. It walked
    # all of it, holding the loop ~100-200 ms at a time (benchmark P11).
    gc.freeze()
    # Start-up is over: the figures are about serving.
    app[LOOP_MONITOR].reset()


async def _served(app: web.Application) -> None:
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


async def _typed_topics(app: web.Application) -> AsyncIterator[None]:
    """Typed topics' schemas -> the schema served; the registry client lives until shutdown."""
    settings = app[SETTINGS]
    async with typed_topics(settings) as typed:
        if typed:
            rules = FieldRules.configured(settings.auth, typed.values())
            app[TYPED] = {name: TypedRecords(topic, rules) for name, topic in typed.items()}
            try:
                app[VIEW].schema = build_schema(
                    settings.limits, app[TYPED].values(), settings.server, rules
                )
            except NameClash as error:
                raise StartupFailed(str(error)) from None
        check_cost_weights(app[VIEW].schema)
        yield


def check_cost_weights(schema: object) -> None:
    assert isinstance(schema, CostedSchema)
    try:
        schema.costs.check_weights()
    except UnknownWeight as error:
        raise StartupFailed(str(error)) from None


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


async def _healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _readyz(request: web.Request) -> web.Response:
    """Ready only while the gateway can both write and read, not merely reach the cluster."""
    reason = await request.app[KAFKA].readiness()
    if reason is not None:
        return web.json_response({"status": "unavailable", "reason": reason}, status=503)
    return web.json_response({"status": "ready"})
