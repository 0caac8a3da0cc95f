"""Both WebSocket subprotocols, checked message by message before Strawberry handles them.

Strawberry's handlers (strawberry/subscriptions/protocols/graphql_transport_ws/handlers.py and
graphql_ws/handlers.py, `handle_message`) index every message as an object: a message that is
valid JSON but not an object, or a `subscribe`/`start` without `id` or `payload`, raises out of
the handler and aiohttp drops the socket without a close frame. Here every message is checked
first and refused the way its protocol says:

- graphql-transport-ws (https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md): close
  4400 for an invalid message, 4401 for anything but ping/pong before the connection is
  acknowledged, 4409 for an id already in use, 4429 for a second `connection_init`.
- legacy graphql-ws (subscriptions-transport-ws, PROTOCOL.md and its reference server): a message
  that isn't JSON is a `connection_error`, one of no known type an `error`; where the protocol
  has no rule (no `id`, binary frames, a second `connection_init`) the socket closes with 4400.

Limits (docs/limits.md#websockets): a socket that sends no `connection_init` within
`limits.connection_init_timeout_s` closes with 4408 "Connection initialisation timeout" (the
graphql-transport-ws rule; legacy graphql-ws has none, and closes the same way). A caller's
connection beyond `limits.max_connections_per_principal` closes with 4429 right after its
`connection_init` (legacy: after a `connection_error`); its slot is released when it closes.

A result that cannot be written (ws_sending.py: its encoding failed, or its caller was cut back
while it waited for room) ends its operation alone, with its own error and the cursor of the
message in flight (stream_failures.py), then `complete`; the socket and its other operations go
on.

Authentication happens at `connection_init` (GatewayView.on_ws_connect). A refusal closes a
graphql-transport-ws socket with 4403, which graphql-ws clients retry (with a fresh token); on
legacy graphql-ws a `connection_error` carrying the code comes first. An accepted connection
lives until its token expires (plus the leeway), then closes with 4403 the same way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from contextlib import suppress
from typing import Any, cast

from graphql import GraphQLFormattedError
from strawberry.http.async_base_view import AsyncWebSocketAdapter
from strawberry.http.exceptions import (
    NonJsonMessageReceived,
    NonTextMessageReceived,
    WebSocketDisconnected,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ErrorMessage,
    NextMessage,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import DataMessage, OperationMessage

from kafka_graphql.core.errors import LimitExceeded, Unauthenticated, Undeliverable
from kafka_graphql.graphql.context import Context
from kafka_graphql.graphql.requests import query_too_large
from kafka_graphql.graphql.resolvers.slots import release_subscription_slots
from kafka_graphql.graphql.shared import SharedGroups, SharedOperation, frame_around, mark_operation
from kafka_graphql.graphql.stream_failures import InFlight, message_error, track_in_flight
from kafka_graphql.graphql.ws.auth import ExpiryTimer
from kafka_graphql.graphql.ws.sending import GatewayWebSocketAdapter
from kafka_graphql.http.errors import REQUEST_ERROR_CODE, coded_error

INVALID_MESSAGE = 4400
UNAUTHORIZED = 4401
SUBSCRIBER_EXISTS = 4409
TOO_MANY_INITIALISATION_REQUESTS = 4429
TOO_MANY_CONNECTIONS = 4429
INITIALISATION_TIMEOUT = 4408
FORBIDDEN = 4403
EXPIRED = "Forbidden: the token has expired"
TRANSPORT_WS_TYPES = frozenset({"connection_init", "ping", "pong", "subscribe", "complete"})
LEGACY_WS_TYPES = frozenset({"connection_init", "connection_terminate", "start", "stop"})


class TooManyConnections(Exception):
    """From on_ws_connect: the caller holds as many connections as it may."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"Too many connections: limits.max_connections_per_principal is {limit}")
        self.reason = str(self)


def release_connection(context: Context) -> None:
    """The caller's connection slot, when this socket took one, and the subscription slots of
    streams admitted on it that never started."""
    release_subscription_slots(context)
    if context.connection_slot:
        context.connection_slot = False
        context.limits.close_connection(context.principal.id)


def _payload_problem(payload: object, max_query_bytes: int) -> str | None:
    """What is wrong with a `subscribe`/`start` payload, if anything."""
    if not isinstance(payload, dict):
        return "`payload` must be an object"
    query = payload.get("query")
    if not isinstance(query, str):
        return "`payload.query` must be a string"
    if problem := query_too_large(query, max_query_bytes):
        return problem
    if not isinstance(payload.get("variables"), dict | None):
        return "`payload.variables` must be an object"
    if not isinstance(payload.get("operationName"), str | None):
        return "`payload.operationName` must be a string"
    if not isinstance(payload.get("extensions"), dict | None):
        return "`payload.extensions` must be an object"
    return None


def _has_id(message: Mapping[str, Any]) -> bool:
    return isinstance(message.get("id"), str) and bool(message["id"])


def _expiry_timer(context: Context, websocket: AsyncWebSocketAdapter) -> ExpiryTimer | None:
    """The timer that closes an accepted connection when its token expires (plus the leeway)."""
    expires_at, auth = context.principal.expires_at, context.settings.auth
    if expires_at is None or auth is None:
        return None
    return ExpiryTimer(expires_at + auth.leeway_s, lambda: websocket.close(FORBIDDEN, EXPIRED))


class OperationEnded(Exception):
    """An operation was ended by a result it could not write (its error was sent)."""


class InFlightMessages:
    """Per operation of a socket, the message its stream has in flight (both handlers)."""

    def __init__(self) -> None:
        self._trackers: dict[str, InFlight] = {}

    def track(self, operation_id: str) -> InFlight:
        tracker = self._trackers[operation_id] = track_in_flight()
        return tracker

    def untrack(self, operation_id: str, tracker: InFlight) -> None:
        # A new operation may have taken the id already.
        if self._trackers.get(operation_id) is tracker:
            del self._trackers[operation_id]

    def failed(self, operation_id: str, cause: BaseException) -> dict[str, Any]:
        """The result payload that ends `operation_id` because its message could not be
        written: its own error, with the cursor that resumes at that message."""
        tracker = self._trackers.get(operation_id)
        error = message_error(tracker.message if tracker is not None else None, cause)
        return {"data": None, "errors": [coded_error(error.message, error.code, error.extensions)]}


def _hold_for(context: Context, websocket: AsyncWebSocketAdapter) -> None:
    """Once the caller is known: the frames of this socket count in its account."""
    if isinstance(websocket, GatewayWebSocketAdapter) and websocket.holdings is None:
        websocket.holdings = context.limits.holdings(context.principal.id)


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    expiry: ExpiryTimer | None = None
    _in_flight: InFlightMessages | None = None

    @property
    def in_flight(self) -> InFlightMessages:
        if self._in_flight is None:
            self._in_flight = InFlightMessages()
        return self._in_flight

    async def handle_message(self, message: Any) -> None:
        refusal = self._refusal(message)
        if refusal is not None:
            await self.websocket.close(*refusal)
            return
        try:
            await super().handle_message(message)
        except Unauthenticated as error:  # from on_ws_connect: a refused connection_init
            await self.websocket.close(FORBIDDEN, f"Forbidden: {error.message}")
            return
        except TooManyConnections as too_many:
            await self.websocket.close(TOO_MANY_CONNECTIONS, too_many.reason)
            return
        if self.connection_acknowledged and self.expiry is None:
            self.expiry = _expiry_timer(self.context, self.websocket)
            _hold_for(self.context, self.websocket)

    async def handle_subscribe(self, message: Any) -> None:
        # Counted here, with the operations this socket has in flight, and not when a stream
        # starts: subscribes sent together would all pass a count of started streams.
        limit = self.context.settings.limits.max_subscriptions_per_connection
        if len(self.operations) >= limit:
            error = cast(
                "GraphQLFormattedError",
                coded_error(_too_many_subscriptions(limit), LimitExceeded.code),
            )
            refusal: ErrorMessage = {"id": message["id"], "type": "error", "payload": [error]}
            await self.send_message(refusal)
            return
        await super().handle_subscribe(message)

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        _mark_shared(
            self,
            operation.query,
            operation.operation_name,
            operation.variables,
            {"id": operation.id, "type": "next"},
        )
        tracker = self.in_flight.track(operation.id)
        try:
            await super().run_operation(operation)
        except OperationEnded:
            pass  # its error and `complete` were sent
        finally:
            self.in_flight.untrack(operation.id, tracker)
            self._release_task(operation)

    async def send_message(self, message: Any) -> None:
        try:
            await super().send_message(message)
        except Undeliverable as failure:
            if message.get("type") != "next":
                raise
            payload = self.in_flight.failed(message["id"], failure.cause)
            ended = {"id": message["id"], "type": "next", "payload": payload}
            await super().send_message(cast("NextMessage", ended))
            # Strawberry's run_operation then sends `complete` and forgets the operation.
            raise OperationEnded from None

    async def handle_task_exception(self, error: Exception) -> None:
        if not isinstance(error, OperationEnded):  # answered already, and logged if it must be
            await super().handle_task_exception(error)

    async def cleanup_operation(self, operation_id: str) -> None:
        operation = self.operations.get(operation_id)
        await super().cleanup_operation(operation_id)  # cancels its task
        if operation is not None:
            self._release_task(operation)

    def _release_task(self, operation: Operation[Context, None]) -> None:
        # A task that ends with an exception (a cancelled one: with CancelledError) keeps it, and
        # its traceback holds the operation's frames, and so the operation, whose `task` is
        # that task: a cycle that would keep the whole subscription (streams, executor,
        # buffers) until the cyclic GC got to it. Once Strawberry has forgotten the operation,
        # nothing needs its task.
        if self.operations.get(operation.id) is not operation:
            operation.task = None

    async def shutdown(self) -> None:
        if self.expiry is not None:
            await self.expiry.stop()
        try:
            await super().shutdown()
        finally:
            release_connection(self.context)

    def _refusal(self, message: object) -> tuple[int, str] | None:
        if not isinstance(message, dict):
            return INVALID_MESSAGE, "A message must be a JSON object"
        kind = message.get("type")
        if not isinstance(kind, str) or kind not in TRANSPORT_WS_TYPES:
            return INVALID_MESSAGE, "Unknown or missing message type"
        if kind == "connection_init" and self.connection_init_received:
            return TOO_MANY_INITIALISATION_REQUESTS, "Too many initialisation requests"
        if kind in ("subscribe", "complete"):
            if not self.connection_acknowledged:
                return UNAUTHORIZED, "Unauthorized"
            if not _has_id(message):
                return INVALID_MESSAGE, "`id` must be a non-empty string"
        if kind == "subscribe":
            max_query = self.context.settings.limits.max_query_bytes
            problem = _payload_problem(message.get("payload"), max_query)
            if problem is not None:
                return INVALID_MESSAGE, problem
            if message["id"] in self.operations:
                # Strawberry says the same with the id in the reason, however long it is.
                return SUBSCRIBER_EXISTS, "Subscriber for this id already exists"
        return None


class LegacyWSHandler(BaseGraphQLWSHandler[Context, None]):
    expiry: ExpiryTimer | None = None
    _in_flight: InFlightMessages | None = None

    @property
    def in_flight(self) -> InFlightMessages:
        if self._in_flight is None:
            self._in_flight = InFlightMessages()
        return self._in_flight

    async def handle(self) -> None:
        # Strawberry's loop, except that it ignores text that isn't JSON in silence and closes
        # with 1002 on a binary frame; the legacy protocol answers the first with a
        # `connection_error`, and has no rule for the second. It has no connection_init
        # timeout either.
        init_timeout = asyncio.create_task(self._close_unless_initialised())
        try:
            try:
                async for message in self.websocket.iter_json():
                    await self.handle_message(message)
            except NonTextMessageReceived:
                await self.websocket.close(INVALID_MESSAGE, "WebSocket messages must be text")
            except NonJsonMessageReceived:
                await self.websocket.send_json(
                    {"type": "connection_error", "payload": _error("a message is not valid JSON")}
                )
                await self.websocket.close(INVALID_MESSAGE, "WebSocket message must be valid JSON")
        except WebSocketDisconnected:
            pass
        finally:
            init_timeout.cancel()
            with suppress(asyncio.CancelledError):
                await init_timeout
            if self.expiry is not None:
                await self.expiry.stop()
            release_connection(self.context)
            if self.keep_alive_task:
                self.keep_alive_task.cancel()
                with suppress(BaseException):
                    await self.keep_alive_task
            await self.cleanup()

    async def handle_async_results(
        self,
        operation_id: str,
        query: str,
        operation_name: str | None,
        variables: dict[str, object] | None,
    ) -> None:
        _mark_shared(self, query, operation_name, variables, {"type": "data", "id": operation_id})
        tracker = self.in_flight.track(operation_id)
        try:
            await super().handle_async_results(operation_id, query, operation_name, variables)
        except OperationEnded:
            await self.send_message({"type": "complete", "id": operation_id})
        except WebSocketDisconnected:
            pass  # the socket went away under a send: nothing is left to tell (nor to log)
        finally:
            self.in_flight.untrack(operation_id, tracker)

    async def send_message(self, message: Any) -> None:
        try:
            await super().send_message(message)
        except Undeliverable as failure:
            if message.get("type") != "data":
                raise
            operation_id = message["id"]
            payload = self.in_flight.failed(operation_id, failure.cause)
            ended = {"type": "data", "id": operation_id, "payload": payload}
            await super().send_message(cast("DataMessage", ended))
            # Strawberry's loop does not close its source on an error: closed here, where it
            # waits at the result that was not written.
            source = self.subscriptions.get(operation_id)
            if source is not None:
                await source.aclose()
            raise OperationEnded from None

    async def _close_unless_initialised(self) -> None:
        await asyncio.sleep(self.view.connection_init_wait_timeout.total_seconds())
        if not self.connection_acknowledged:
            await self.websocket.close(INITIALISATION_TIMEOUT, "Connection initialisation timeout")

    async def handle_message(self, message: Any) -> None:
        if not isinstance(message, dict) or message.get("type") not in LEGACY_WS_TYPES:
            # The reference server's answer (subscriptions-transport-ws, server.ts `onMessage`).
            message_id = message.get("id") if isinstance(message, dict) else None
            await self.websocket.send_json(
                {
                    "type": "error",
                    "id": message_id if isinstance(message_id, str) else None,
                    "payload": _error("Invalid message type"),
                }
            )
            return
        kind = message["type"]
        if kind == "connection_init" and self.connection_acknowledged:
            # Strawberry would acknowledge again and start a second keep-alive task each time.
            await self.websocket.close(INVALID_MESSAGE, "Too many initialisation requests")
            return
        if kind == "connection_init":
            await self._connection_init(cast("OperationMessage", message))
            return
        if kind in ("start", "stop"):
            if not self.connection_acknowledged:
                await self.websocket.close(UNAUTHORIZED, "Unauthorized")
                return
            if not _has_id(message):
                await self.websocket.close(INVALID_MESSAGE, "`id` must be a non-empty string")
                return
        if kind == "start":
            max_query = self.context.settings.limits.max_query_bytes
            problem = _payload_problem(message.get("payload"), max_query)
            if problem is not None:
                await self.websocket.send_json(
                    {"type": "error", "id": message["id"], "payload": _error(problem)}
                )
                return
            # As on graphql-transport-ws (a `start` that reuses an id replaces that operation).
            limit = self.context.settings.limits.max_subscriptions_per_connection
            if message["id"] not in self.tasks and len(self.tasks) >= limit:
                error = _error(_too_many_subscriptions(limit), LimitExceeded.code)
                await self.websocket.send_json(
                    {"type": "error", "id": message["id"], "payload": error}
                )
                return
        await super().handle_message(cast("OperationMessage", message))

    async def _connection_init(self, message: OperationMessage) -> None:
        try:
            await super().handle_message(message)
        except Unauthenticated as error:
            await self.websocket.send_json(
                {"type": "connection_error", "payload": _error(error.message, error.code)}
            )
            await self.websocket.close(FORBIDDEN, f"Forbidden: {error.message}")
            return
        except TooManyConnections as refusal:
            await self.websocket.send_json(
                {"type": "connection_error", "payload": _error(refusal.reason, LimitExceeded.code)}
            )
            await self.websocket.close(TOO_MANY_CONNECTIONS, refusal.reason)
            return
        if self.connection_acknowledged and self.expiry is None:
            self.expiry = _expiry_timer(self.context, self.websocket)
            _hold_for(self.context, self.websocket)


def _too_many_subscriptions(limit: int) -> str:
    return f"at most {limit} subscriptions per connection (limits.max_subscriptions_per_connection)"


def _mark_shared(
    handler: TransportWSHandler | LegacyWSHandler,
    query: str,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    frame: dict[str, Any],
) -> None:
    """Marks the current task (the one running the operation) for the shared path, when the
    gateway has it on. `frame` is the subprotocol's result message, in the order Strawberry
    writes its keys, without the payload."""
    groups: SharedGroups | None = getattr(handler.view, "shared_groups", None)
    websocket = handler.websocket
    if groups is None or not isinstance(websocket, GatewayWebSocketAdapter):
        return
    head, tail = frame_around(handler.view.encode_json, frame)
    mark_operation(
        SharedOperation(groups, query, operation_name, variables, head, tail, websocket.send_parts)
    )


def _error(message: str, code: str = REQUEST_ERROR_CODE) -> dict[str, Any]:
    return coded_error(message, code)
