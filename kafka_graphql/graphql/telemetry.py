"""The GraphQL face's one seam for what the gateway reports (core/telemetry.py): every operation,
over any transport, from its start to its end (a subscription's end is its stream's), with the
code it ended with, and the limit refusals its errors carry.

The first of the schema's extensions, so that its end runs last: after the gate has made the
errors public (graphql/gate.py), which is where their codes are. An HTTP operation is reported by
the view once its response is built (`report_http_operations`), so that its size and whole
duration are known; a WebSocket operation here, when it ends.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from typing import Any

from aiohttp import web
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from kafka_graphql.core.request_id import CURRENT_REQUEST_ID
from kafka_graphql.core.telemetry import (
    CURRENT_OPERATION,
    GRAPHQL,
    Operation,
    Refusal,
    Telemetry,
)
from kafka_graphql.graphql.context import Context
from kafka_graphql.http.bearer import PRINCIPAL
from kafka_graphql.http.state import REQUEST_ID

# The HTTP request's operations, reported by the view once its response is built.
OPERATIONS = web.RequestKey("operations", list[Operation])
# When the view began to answer the request (the duration of a request refused before any
# operation began).
STARTED = web.RequestKey("started", float)
LIMIT_CODES = frozenset({"COST_LIMIT_EXCEEDED", "RATE_LIMITED", "LIMIT_EXCEEDED"})
UNKNOWN = "unknown"


class OperationTelemetry(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        execution = self.execution_context
        context = execution.context
        if not isinstance(context, Context):  # the schema's own use (introspection at build)
            yield
            return
        request = context.request
        operation = Operation(
            face=GRAPHQL,
            operation_type=UNKNOWN,
            request_id=request.get(REQUEST_ID) or "",
            principal=context.principal.subject or "anonymous",
            source_ip=request.remote,
            traceparent=request.headers.get("traceparent"),
            tracestate=request.headers.get("tracestate"),
            document=execution.query,
            started=time.monotonic(),
        )
        over_http = not isinstance(context.response, web.WebSocketResponse)
        if over_http:
            operation.bytes_in = request.content_length or 0
            request.setdefault(OPERATIONS, []).append(operation)
        telemetry = context.core.telemetry
        token = CURRENT_OPERATION.set(operation)
        telemetry.operation_started(operation)
        try:
            yield
        finally:
            if execution.graphql_document is not None:
                _name_it(operation, execution)
            errors = getattr(execution.result, "errors", None)
            if errors:
                self._ended_with(telemetry, operation, errors)
            operation.duration_s = time.monotonic() - operation.started
            if not over_http:
                telemetry.operation_ended(operation)
                # A stream closed from another task (its socket went away) ends in that task's
                # context, where the token means nothing, and where nothing was set.
                with contextlib.suppress(ValueError):
                    CURRENT_OPERATION.reset(token)
            # Over HTTP the operation stays current: the cost is known once the response's
            # extensions are (graphql/limits/operation.py).

    def on_stream_result(self, result: Any) -> Iterator[None]:
        yield
        # After the gate's (the next extension): the errors are public by now.
        errors = getattr(result, "errors", None)
        operation = CURRENT_OPERATION.get()
        context = self.execution_context.context
        if errors and operation is not None and isinstance(context, Context):
            self._ended_with(context.core.telemetry, operation, errors)

    def _ended_with(self, telemetry: Telemetry, operation: Operation, errors: list[Any]) -> None:
        codes = [
            (error.extensions or {}).get("code") or "INTERNAL_SERVER_ERROR" for error in errors
        ]
        operation.code = codes[0]
        for code in codes:
            if code in LIMIT_CODES:
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


def name_request(execution: ExecutionContext, result: Any, refused: bool) -> None:
    """The gate's hook, once `result`'s errors are public: they name the request being served
    (`extensions.requestId`), unless they are a subscription's events. Those are data, the
    same for every subscriber of a stream whatever its request (graphql/shared/); an error that
    refuses a subscription before it starts (`refused`: by the gate) does name it."""
    request_id = CURRENT_REQUEST_ID.get()
    errors = getattr(result, "errors", None)
    if not request_id or not errors:
        return
    if not (refused or isinstance(result, PreExecutionError)) and _is_subscription(execution):
        return
    for error in errors:
        if error.extensions is not None:
            error.extensions["requestId"] = request_id


def _is_subscription(execution: ExecutionContext) -> bool:
    try:
        return execution.operation_type is OperationType.SUBSCRIPTION
    except RuntimeError:  # an operation name the document does not have
        return False


def _name_it(operation: Operation, execution: ExecutionContext) -> None:
    try:
        # Raises RuntimeError for a name the document does not have (the operation is refused
        # for that, and stays "unknown").
        kind = execution.operation_type
    except RuntimeError:
        return
    operation.operation_type = kind.value
    operation.operation_name = execution.operation_name


def report_http_operations(
    telemetry: Telemetry, request: web.Request, response: web.StreamResponse
) -> None:
    """The request's operations, once its response is built (a batch's share the size)."""
    body = getattr(response, "body", None)
    size = len(body) if isinstance(body, bytes) else 0
    refusal = _refusal_code(response, body) if response.status >= 400 else None
    operations = request.get(OPERATIONS)
    if not operations:
        if refusal is None:
            return  # not an operation (the GraphiQL page, a preflight)
        # Refused before any operation began (an unreadable request, a missing token).
        operations = [_unstarted(request)]
    now = time.monotonic()
    for operation in operations:
        if refusal is not None and operation.code == "OK":
            operation.code = refusal
        operation.bytes_out = size // len(operations)
        operation.duration_s = now - operation.started
        telemetry.operation_ended(operation)


def _refusal_code(response: web.StreamResponse, body: object) -> str | None:
    """The code of an HTTP refusal's coded JSON body (http/errors.py), if it has one."""
    if not isinstance(body, bytes) or response.content_type != "application/json":
        return None
    try:
        errors = json.loads(body).get("errors") or [{}]
        code = errors[0].get("extensions", {}).get("code")
    except (ValueError, AttributeError):
        return None
    return code if isinstance(code, str) else None


def _unstarted(request: web.Request) -> Operation:
    principal = request.get(PRINCIPAL)
    return Operation(
        face=GRAPHQL,
        operation_type=UNKNOWN,
        request_id=request.get(REQUEST_ID) or "",
        principal=principal.subject or "anonymous" if principal is not None else "anonymous",
        source_ip=request.remote,
        bytes_in=request.content_length or 0,
        started=request.get(STARTED, time.monotonic()),
        traceparent=request.headers.get("traceparent"),
        tracestate=request.headers.get("tracestate"),
    )
