"""The GraphQL face over HTTP and WebSocket: Strawberry's aiohttp view with the gateway's typed
context, strict request reading with coded JSON refusals, CSRF protection, checked WebSocket
messages and authentication at `connection_init`."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Callable, Mapping
from typing import TypeGuard

from aiohttp import hdrs, web
from cross_web import AiohttpHTTPRequestAdapter, AsyncHTTPRequestAdapter, HTTPException
from strawberry.aiohttp.views import GraphQLView
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.http.streaming import AsyncTextStream, HTTPStreamTransport
from strawberry.types import ExecutionResult, SubscriptionExecutionResult
from strawberry.types.unset import UnsetType

from kafka_graphql.core.auth.principal import Principal
from kafka_graphql.core.errors import Forbidden, Unauthenticated
from kafka_graphql.core.gateway import Core
from kafka_graphql.core.typed.records import TypedRecords
from kafka_graphql.graphql import streams
from kafka_graphql.graphql.context import Context
from kafka_graphql.graphql.limits.operation import throttle_http
from kafka_graphql.graphql.persisted import (
    PersistedDocuments,
    PersistedQueryError,
    persisted_query_response,
    with_document,
)
from kafka_graphql.graphql.requests import (
    batch_requests,
    body_params,
    from_strawberry,
    graphql_request,
    query_string_params,
)
from kafka_graphql.graphql.shared import SharedGroups
from kafka_graphql.graphql.telemetry import STARTED, report_http_operations
from kafka_graphql.graphql.ws.auth import connection_init_token
from kafka_graphql.graphql.ws.legacy import LegacyWSHandler
from kafka_graphql.graphql.ws.reports import (
    connection_closed,
    connection_opened,
    too_many_connections,
)
from kafka_graphql.graphql.ws.sending import GatewayWebSocketAdapter
from kafka_graphql.graphql.ws.transport import TransportWSHandler
from kafka_graphql.http.bearer import PRINCIPAL, check_authenticated, unauthenticated_response
from kafka_graphql.http.csrf import check_csrf
from kafka_graphql.http.errors import RequestError, error_response
from kafka_graphql.http.requests import check_json_content_type
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
)
from kafka_graphql.http.strict_json import dumps, loads_strict
from kafka_graphql.http.ws_compression import websocket_response

GRAPHQL_PATH = "/graphql"


class GatewayView(GraphQLView[Context, None]):
    """Strawberry's aiohttp view with our typed context, strict request reading with coded JSON
    refusals (graphql/requests.py), CSRF protection (http/csrf.py), checked WebSocket messages
    (graphql/ws/protocols.py), bounded WebSocket messages and, when its files are here, a
    GraphiQL page that needs no CDN."""

    graphiql_html: str | None = None
    # Documents by hash or id (graphql/persisted.py), asked before any document is parsed.
    persisted: PersistedDocuments | None = None
    # Groups of subscribers that share execution (None: `server.shared_subscriptions` is off).
    shared_groups: SharedGroups | None = None
    websocket_adapter_class = GatewayWebSocketAdapter
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        request[STARTED] = time.monotonic()
        try:
            response = await self._answer(request)
        finally:
            streams.close_stream(request)
        if isinstance(response, web.WebSocketResponse):
            connection_closed(request, response)
        else:
            report_http_operations(request.app[TELEMETRY], request, response)
        return response

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        # Strawberry's __call__ answers its refusals in plain text (strawberry/aiohttp/views.py).
        try:
            return await self.run(request=request)
        except RequestError as error:
            return error_response(error)
        except PersistedQueryError as refusal:
            return persisted_query_response(refusal)
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
        authenticator = request.request.app.get(AUTHENTICATOR)
        if authenticator is not None:
            check_authenticated(request.request, authenticator)
        settings = request.request.app[SETTINGS]
        max_query = settings.limits.max_query_bytes
        persisted = self.persisted
        transport = self._get_stream_transport_from_headers(request.headers)
        if request.method == "GET":
            query = query_string_params(request.request.rel_url.raw_query_string)
            data = graphql_request(with_document(persisted, query), max_query)
        else:
            check_csrf(request.headers)
            check_json_content_type(request.content_type)
            batching = settings.server.batching and transport is None
            max_batch = settings.limits.max_batch_operations if batching else None
            params = body_params(await request.get_body(), max_batch)
            if isinstance(params, list):
                operations = [
                    with_document(persisted, p) if isinstance(p, dict) else p for p in params
                ]
                return batch_requests(operations, max_query)
            data = graphql_request(with_document(persisted, params), max_query)
        if transport is not None:
            streams.open_stream(request.request, transport, self.encode_json_string)
            data.protocol = transport.protocol
        return data

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
        if not isinstance(request_data, list) and request_data.protocol != "http":
            streams.streamed(request, context, request_data, self.shared_groups, self.encode_json)
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

    def _stream_result(
        self,
        request: web.Request,
        result: SubscriptionExecutionResult,
        transport: HTTPStreamTransport,
    ) -> AsyncTextStream:
        # Strawberry's merges its own heartbeats in, from tasks of its own; here the stream is
        # written by the request's task, and paced by graphql/streams.py.
        async def process(value: ExecutionResult) -> GraphQLHTTPResponse:
            return await self.process_result(request, value)

        return streams.results(self.encode_json_string, process, result, transport)

    async def create_streaming_response(
        self,
        request: web.Request,
        stream: Callable[[], AsyncGenerator[str, None]],
        sub_response: web.Response,
        headers: Mapping[str, str],
    ) -> web.StreamResponse:
        merged = {**sub_response.headers, **headers}
        return await streams.serve(request, stream, sub_response.status, merged)

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

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # A browser following a share link (`/graphql?query=...`) asks for HTML: it gets
        # GraphiQL, which opens that document. Clients ask for JSON, and `*/*` (curl) gets the
        # page only when it sends no operation.
        if request.method != "GET":
            return False
        accept = request.headers.get("accept", "")
        params = request.query_params
        sends = any(params.get(name) is not None for name in ("query", "extensions", "documentId"))
        if sends:
            # Without GraphiQL (the production profile) the link runs, as before.
            return "text/html" in accept and self.graphql_ide is not None
        return "text/html" in accept or "*/*" in accept

    @property
    def graphql_ide_html(self) -> str:
        return self.graphiql_html or super().graphql_ide_html

    async def get_context(
        self, request: web.Request, response: web.Response | web.WebSocketResponse
    ) -> Context:
        app = request.app
        typed: dict[str, TypedRecords] = app[TYPED]
        core = Core(
            settings=app[SETTINGS],
            kafka=app[KAFKA],
            topics=app[TOPICS],
            cursors=app[CURSORS],
            typed=typed,
            limits=app[LIMITS],
            telemetry=app[TELEMETRY],
        )
        return Context(
            request=request,
            core=core,
            response=response,
            principal=request.get(PRINCIPAL) or Principal.anonymous(request.remote),
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Authenticates a WebSocket by its connection_init payload; an Unauthenticated raised
        here is answered the way each subprotocol says (graphql/ws/protocols.py)."""
        params, context.connection_params = context.connection_params, None
        authenticator = context.request.app.get(AUTHENTICATOR)
        if authenticator is not None:
            token = connection_init_token(params)
            context.principal = await authenticator.authenticate(token, context.request.remote)
        context.request[PRINCIPAL] = context.principal  # for the connection's report
        limits = context.limits
        if not limits.open_connection(context.principal.id):
            raise too_many_connections(context)
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
        connection_opened(request, ws)
        return ws


VIEW = web.AppKey("view", GatewayView)
