"""What a WebSocket connection reports about itself: its opening and closing (with how long it
lasted and its close code), and its refusal when its caller holds too many."""

from __future__ import annotations

import time

from aiohttp import web

from kafka_graphql.core.telemetry import Refusal
from kafka_graphql.graphql.context import Context
from kafka_graphql.graphql.ws.common import TOO_MANY_CONNECTIONS_CODE, TooManyConnections
from kafka_graphql.http.bearer import PRINCIPAL
from kafka_graphql.http.state import REQUEST_ID, TELEMETRY

# When the request's WebSocket was accepted.
OPENED = web.RequestKey("websocket_opened", float)


def connection_opened(request: web.Request, ws: web.WebSocketResponse) -> None:
    request[OPENED] = time.monotonic()
    # Authentication comes later, with connection_init: the close's report names the principal.
    request.app[TELEMETRY].connection_opened(ws.ws_protocol or "", "anonymous", request.remote)


def connection_closed(request: web.Request, ws: web.WebSocketResponse) -> None:
    opened = request.get(OPENED)
    if opened is None:
        return  # refused before it was accepted
    principal = request.get(PRINCIPAL)
    request.app[TELEMETRY].connection_closed(
        ws.ws_protocol or "",
        principal.subject or "anonymous" if principal is not None else "anonymous",
        ws.close_code,
        time.monotonic() - opened,
    )


def too_many_connections(context: Context) -> TooManyConnections:
    """The refusal of one connection too many, reported."""
    context.core.telemetry.refused(
        Refusal(
            "limit",
            TOO_MANY_CONNECTIONS_CODE,
            "connections",
            principal=context.principal.subject or "anonymous",
            source_ip=context.request.remote,
            request_id=context.request.get(REQUEST_ID),
        )
    )
    return TooManyConnections(context.limits.settings.max_connections_per_principal)
