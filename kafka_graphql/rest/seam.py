"""The REST face's one seam: every request the face answers (its routes, and any path no route
takes) is one Operation for telemetry (core/telemetry.py), current while it runs, and every
error it ends with is answered here in Confluent's shape (rest/errors.py).

The operation's code is the core's word for how the request ended as a whole: "OK" for a
produce answered 200, whose records Kafka did not all take (those are the write's own figures:
`produce_failed`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import hdrs, web

from kafka_graphql.core.errors import BadRequest, GatewayError, NotFound
from kafka_graphql.core.telemetry import CURRENT_OPERATION, REST, Operation, Refusal, Telemetry
from kafka_graphql.http.bearer import PRINCIPAL
from kafka_graphql.http.errors import RequestError
from kafka_graphql.http.state import REQUEST_ID, SETTINGS, TELEMETRY
from kafka_graphql.rest.content_types import UnsupportedMediaType
from kafka_graphql.rest.errors import RestError, gateway_error_response, rest_error_response
from kafka_graphql.rest.routes import Endpoint, endpoint_of

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
LIMIT_CODES = frozenset({"COST_LIMIT_EXCEEDED", "RATE_LIMITED", "LIMIT_EXCEEDED"})
UNKNOWN = "unknown"


@web.middleware
async def rest_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    endpoint = endpoint_of(request)
    if endpoint is None and request.match_info.http_exception is None:
        return await handler(request)  # another face's route
    telemetry = request.app[TELEMETRY]
    operation = _operation(request, endpoint)
    token = CURRENT_OPERATION.set(operation)
    telemetry.operation_started(operation)
    try:
        response = await _answer(request, handler, endpoint, operation)
        body = getattr(response, "body", None)
        operation.bytes_out = len(body) if isinstance(body, bytes) else 0
        return response
    finally:
        operation.duration_s = time.monotonic() - operation.started
        telemetry.operation_ended(operation)
        CURRENT_OPERATION.reset(token)


def _operation(request: web.Request, endpoint: Endpoint | None) -> Operation:
    principal = request.get(PRINCIPAL)
    topic = request.match_info.get("topic")
    return Operation(
        face=REST,
        operation_type=endpoint.operation_type if endpoint is not None else UNKNOWN,
        request_id=request.get(REQUEST_ID) or "",
        principal=principal.subject or "anonymous" if principal is not None else "anonymous",
        source_ip=request.remote,
        operation_name=endpoint.name if endpoint is not None else None,
        topics={topic} if topic is not None and endpoint is not None else set(),
        bytes_in=request.content_length or 0,
        started=time.monotonic(),
        traceparent=request.headers.get("traceparent"),
        tracestate=request.headers.get("tracestate"),
    )


async def _answer(
    request: web.Request, handler: Handler, endpoint: Endpoint | None, operation: Operation
) -> web.StreamResponse:
    try:
        if endpoint is None:
            raise _unrouted(request.match_info.http_exception)
        return await handler(request)
    except GatewayError as error:
        operation.code = error.code
        if error.code in LIMIT_CODES:
            _limit_refused(request.app[TELEMETRY], operation, error.code)
        return gateway_error_response(error)
    except RestError as error:
        operation.code = error.code
        return rest_error_response(error)
    except UnsupportedMediaType as error:
        operation.code = BadRequest.code
        return rest_error_response(RestError(415, str(error)))
    except RequestError as error:
        operation.code = error.code
        return rest_error_response(RestError(error.status, error.message))
    except web.HTTPRequestEntityTooLarge:
        limit = request.app[SETTINGS].limits.max_request_bytes
        operation.code = BadRequest.code
        return rest_error_response(
            RestError(413, f"HTTP 413 Request Entity Too Large: at most {limit} bytes")
        )
    except Exception:
        log.exception("unexpected error answering %s %s", request.method, request.path)
        operation.code = GatewayError.code
        return rest_error_response(RestError(500, "Internal server error", code=GatewayError.code))


def _unrouted(exception: web.HTTPException | None) -> RestError:
    """A path no route takes (404), or a method its route does not serve (405)."""
    if isinstance(exception, web.HTTPMethodNotAllowed):
        allow = ", ".join(sorted(exception.allowed_methods))
        return RestError(405, "HTTP 405 Method Not Allowed", headers={hdrs.ALLOW: allow})
    return RestError(404, "HTTP 404 Not Found", code=NotFound.code)


def _limit_refused(telemetry: Telemetry, operation: Operation, code: str) -> None:
    telemetry.refused(
        Refusal(
            "limit",
            code,
            code.lower(),
            principal=operation.principal,
            source_ip=operation.source_ip,
            request_id=operation.request_id,
        )
    )
