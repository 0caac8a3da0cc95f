"""Every request's id: the caller's `X-Request-ID` when it is a sane one, else a new one. It is
kept on the request (`REQUEST_ID`) and in `CURRENT_REQUEST_ID` while the request is served (the
log lines, the audit log and coded errors name it), and returned in the response's
`X-Request-ID` header, a WebSocket's handshake included."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from kafka_graphql.core.request_id import CURRENT_REQUEST_ID
from kafka_graphql.core.request_id import request_id as request_id
from kafka_graphql.http.state import REQUEST_ID

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

HEADER = "X-Request-ID"


@web.middleware
async def request_id_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    rid = request[REQUEST_ID] = request_id(request.headers.get(HEADER))
    token = CURRENT_REQUEST_ID.set(rid)
    try:
        return await handler(request)
    finally:
        CURRENT_REQUEST_ID.reset(token)


async def add_request_id_header(request: web.Request, response: web.StreamResponse) -> None:
    """`on_response_prepare`: every response the middleware saw names its request, whatever
    made it (a refusal, a WebSocket's handshake, aiohttp's own 404)."""
    rid = request.get(REQUEST_ID)
    if rid is not None:
        response.headers[HEADER] = rid
