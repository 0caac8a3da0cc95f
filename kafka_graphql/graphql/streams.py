"""GraphQL over HTTP streams: Server-Sent Events in graphql-sse's distinct-connections mode
(`Accept: text/event-stream`; `event: next`, `event: complete`) and multipart subscriptions as
Apollo Client sends them (`Accept: multipart/mixed; subscriptionSpec="1.0", application/json`;
parts `{"payload": ...}`, `{}` as a keep-alive, a fatal error as `{"payload": null, "errors"}`).

Strawberry reads the `Accept` header and runs the operation with `schema.stream`
(strawberry/http/async_base_view.py); the operation goes through the same schema extensions as
over WebSocket: the gate, its cost, the caller's subscription slots, the delivery budget and the
shared path. What is the transport's is here: each stream counts as one of its caller's
connections (`limits.max_connections_per_principal`, refused with 429 before it starts); it is
written by the request's own task, paced with keep-alives (`server.websocket_heartbeat_s`,
multipart at least every 5 s); a client gone or one that takes nothing for two periods ends it;
it ends when the caller's token expires; and every slot it took is given back when it ends.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Callable, Mapping
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any, cast

from aiohttp import hdrs, web
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.http.streaming import HTTPStreamTransport, MultipartSubscriptionTransport
from strawberry.types import SubscriptionExecutionResult

from kafka_graphql.core.auth.principal import Principal
from kafka_graphql.core.errors import InvalidToken, LimitExceeded
from kafka_graphql.core.telemetry import Refusal
from kafka_graphql.graphql.context import Context
from kafka_graphql.graphql.resolvers.slots import release_subscription_slots
from kafka_graphql.graphql.shared import SharedGroups, SharedOperation, frame_around, mark_operation
from kafka_graphql.graphql.ws.common import TOO_MANY_CONNECTIONS_CODE
from kafka_graphql.http.bearer import PRINCIPAL
from kafka_graphql.http.errors import RequestError, coded_error
from kafka_graphql.http.event_stream import paced, write_within
from kafka_graphql.http.state import LIMITS, REQUEST_ID, SETTINGS, TELEMETRY
from kafka_graphql.http.strict_json import dumps

# The transports' names (telemetry's `transport`, as a WebSocket's is its subprotocol).
SSE = "graphql-sse"
MULTIPART = "multipart-subscription"
# Apollo's multipart subscription protocol: a keep-alive part at least this often.
MULTIPART_KEEP_ALIVE_S = 5.0
MULTIPART_OPEN = b"\r\n--graphql"
# After the last part's delimiter: the close delimiter is `\r\n--graphql--`.
MULTIPART_CLOSE = "--\r\n"
EXPIRED = "the token has expired: send the request again with a fresh token"

Send = Callable[[str | bytes, str | bytes, str | bytes], Any]


@dataclass(slots=True)
class HTTPStream:
    """One streamed request: its transport, its caller's connection slot, and (once it starts)
    the response it is written to."""

    protocol: str
    principal: str
    # The transport's keep-alive (SSE: a comment; multipart: a `{}` part).
    keep_alive: bytes
    context: Context | None = None
    response: web.StreamResponse | None = None
    stall_s: float = 0.0
    opened: float = field(default_factory=time.monotonic)


STREAM = web.RequestKey("graphql_stream", HTTPStream)


def open_stream(
    request: web.Request, transport: HTTPStreamTransport, encode: Callable[[object], str]
) -> None:
    """Before a streamed operation is read: its place among its caller's connections (429 when
    the caller holds as many as it may). `close_stream` gives it back, however the request ends."""
    principal = request.get(PRINCIPAL)
    limits = request.app[LIMITS]
    key = (principal or Principal.anonymous(request.remote)).id
    if not limits.open_connection(key):
        subject = principal.subject if principal is not None else None
        request.app[TELEMETRY].refused(
            Refusal(
                "limit",
                TOO_MANY_CONNECTIONS_CODE,
                "connections",
                principal=subject or "anonymous",
                source_ip=request.remote,
                request_id=request.get(REQUEST_ID),
            )
        )
        limit = limits.settings.max_connections_per_principal
        raise RequestError(
            f"Too many connections: limits.max_connections_per_principal is {limit}",
            status=429,
            code=LimitExceeded.code,
        )
    protocol = SSE if transport.protocol == "sse" else MULTIPART
    keep_alive = transport.heartbeat_message(encode).encode()
    request[STREAM] = HTTPStream(protocol, key, keep_alive)


def close_stream(request: web.Request) -> None:
    stream = request.get(STREAM)
    if stream is None:
        return
    del request[STREAM]
    request.app[LIMITS].close_connection(stream.principal)
    if stream.context is not None:
        release_subscription_slots(stream.context)
    if stream.response is not None:
        principal = request.get(PRINCIPAL)
        subject = principal.subject if principal is not None else None
        request.app[TELEMETRY].connection_closed(
            stream.protocol, subject or "anonymous", None, time.monotonic() - stream.opened
        )


def streamed(
    request: web.Request,
    context: Context,
    data: GraphQLRequestData,
    groups: SharedGroups | None,
    encode: Callable[[Any], str | bytes],
) -> None:
    """In the request's task, before its operation runs: the operation is streamed (the gate
    lets a subscription through), and marked for the shared path when the gateway has it on."""
    stream = request[STREAM]
    stream.context = context
    context.stream = stream.protocol
    if groups is None:
        return
    head: str | bytes
    tail: str | bytes
    if stream.protocol == SSE:
        head, tail = "event: next\r\ndata: ", "\r\n\r\n"
    else:
        head, tail = frame_around(encode, {})
    send = _send_sse(stream) if stream.protocol == SSE else _send_part(stream)
    query, name, variables = data.query or "", data.operation_name, data.variables
    mark_operation(SharedOperation(groups, query, name, variables, head, tail, send))


def _send_sse(stream: HTTPStream) -> Send:
    async def send(head: str | bytes, payload: str | bytes, tail: str | bytes) -> None:
        await _write(stream, _text(head) + _text(payload) + _text(tail))

    return send


def _send_part(stream: HTTPStream) -> Send:
    async def send(head: str | bytes, payload: str | bytes, tail: str | bytes) -> None:
        await _write(stream, _part(_text(head) + _text(payload) + _text(tail)))

    return send


async def _write(stream: HTTPStream, text: str) -> None:
    """A shared-path write. A client gone is what the shared path knows as a socket gone: the
    message then takes the normal path, which meets the same closed stream and ends it quietly
    (rather than as a stream failure, logged)."""
    response, context = stream.response, stream.context
    if response is None or context is None:
        raise WebSocketDisconnected
    try:
        await write_within(context.request, response, text.encode(), stream.stall_s)
    except ConnectionError:
        raise WebSocketDisconnected from None


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _part(body: str) -> str:
    """One multipart part, as Strawberry writes them (strawberry/http/streaming.py)."""
    length = len(body.encode())
    return (
        "\r\nContent-Type: application/json; charset=utf-8\r\n"
        f"Content-Length: {length}\r\n\r\n{body}\r\n--graphql"
    )


def results(
    encode: Callable[[object], str],
    process: Callable[[Any], Any],
    result: SubscriptionExecutionResult,
    transport: HTTPStreamTransport,
) -> Callable[[], AsyncGenerator[str, None]]:
    """The operation's results in the transport's encoding, then its end; for multipart, a result
    that ends a stream the caller can resume (an error with `extensions.cursor` and no data) is
    a fatal error part."""
    multipart = isinstance(transport, MultipartSubscriptionTransport)

    # schema.stream's generator (the protocol Strawberry types it with has no aclose).
    source = cast("AsyncGenerator[Any, None]", result)

    async def stream() -> AsyncGenerator[str, None]:
        async with aclosing(source):
            async for value in source:
                response: GraphQLHTTPResponse = await process(value)
                if multipart and _ends_stream(response):
                    yield _part(encode({"payload": None, "errors": response["errors"]}))
                    continue
                yield transport.encode_next(response, encode)
        yield MULTIPART_CLOSE if multipart else transport.encode_complete()

    return stream


def _ends_stream(response: Mapping[str, Any]) -> bool:
    errors = response.get("errors")
    if response.get("data") is not None or not errors:
        return False
    return any("cursor" in (error.get("extensions") or {}) for error in errors)


async def serve(
    request: web.Request,
    chunks: Callable[[], AsyncGenerator[str, None]],
    status: int,
    headers: Mapping[str, str],
) -> web.StreamResponse:
    """Writes the stream in the request's task, with keep-alives; returns once it has ended, its
    client has gone, or its caller's token has expired."""
    stream = request[STREAM]
    server = request.app[SETTINGS].server
    multipart = stream.protocol == MULTIPART
    period = server.websocket_heartbeat_s
    if multipart:
        period = min(period, MULTIPART_KEEP_ALIVE_S)
    stream.stall_s = 2 * period
    response = web.StreamResponse(status=status, headers={**headers})
    if multipart:
        response.headers[hdrs.CACHE_CONTROL] = "no-cache"
    await response.prepare(request)
    stream.response = response
    principal = request.get(PRINCIPAL)
    subject = (principal.subject if principal is not None else None) or "anonymous"
    request.app[TELEMETRY].connection_opened(stream.protocol, subject, request.remote)
    keep_alive = stream.keep_alive
    try:
        if multipart:
            await write_within(request, response, MULTIPART_OPEN + keep_alive, stream.stall_s)
        async with aclosing(chunks()) as source, aclosing(paced(request, source, period)) as items:
            async for chunk in items:
                data = keep_alive if chunk is None else chunk.encode()
                await write_within(request, response, data, stream.stall_s)
                if _expired(request):
                    await _end_expired(request, response, multipart, stream.stall_s)
                    return response
        await response.write_eof()
    except ConnectionError:
        pass  # the client has gone, or took nothing for two periods: nothing is left to tell
    return response


def _expired(request: web.Request) -> bool:
    principal = request.get(PRINCIPAL)
    auth = request.app[SETTINGS].auth
    if principal is None or principal.expires_at is None or auth is None:
        return False
    return bool(time.time() > principal.expires_at + auth.leeway_s)


async def _end_expired(
    request: web.Request, response: web.StreamResponse, multipart: bool, stall_s: float
) -> None:
    error = coded_error(EXPIRED, InvalidToken.code)
    if multipart:
        data = _part(dumps({"payload": None, "errors": [error]})) + MULTIPART_CLOSE
    else:
        body = dumps({"errors": [error]})
        data = f"event: next\r\ndata: {body}\r\n\r\nevent: complete\r\ndata: \r\n\r\n"
    await write_within(request, response, data.encode(), stall_s)
    await response.write_eof()
