"""What both WebSocket subprotocols share (transport.py, legacy.py): close codes, the checks of
a `subscribe`/`start` payload, the caller's connection slot, the token's expiry, the message in
flight per operation, and the hook to shared subscription execution."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from strawberry.http.async_base_view import AsyncWebSocketAdapter
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from kafka_graphql.core.errors import LimitExceeded
from kafka_graphql.core.telemetry import Refusal
from kafka_graphql.graphql.context import Context
from kafka_graphql.graphql.persisted import (
    PersistedDocuments,
    PersistedQueryError,
    new_message,
    with_document,
)
from kafka_graphql.graphql.requests import query_too_large
from kafka_graphql.graphql.resolvers.slots import release_subscription_slots
from kafka_graphql.graphql.shared import SharedGroups, SharedOperation, frame_around, mark_operation
from kafka_graphql.graphql.stream_failures import InFlight, message_error, track_in_flight
from kafka_graphql.graphql.ws.auth import ExpiryTimer
from kafka_graphql.graphql.ws.sending import GatewayWebSocketAdapter
from kafka_graphql.http.errors import REQUEST_ERROR_CODE, coded_error
from kafka_graphql.http.state import REQUEST_ID

INVALID_MESSAGE = 4400
UNAUTHORIZED = 4401
SUBSCRIBER_EXISTS = 4409
TOO_MANY_INITIALISATION_REQUESTS = 4429
TOO_MANY_CONNECTIONS = 4429
# The code a refused connection is reported with (metrics, audit log): it has no error message.
TOO_MANY_CONNECTIONS_CODE = "TOO_MANY_CONNECTIONS"
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


def payload_problem(payload: object, max_query_bytes: int) -> str | None:
    """What is wrong with a `subscribe`/`start` payload, if anything."""
    if not isinstance(payload, dict):
        return "`payload` must be an object"
    query = payload.get("query")
    if not isinstance(query, str):
        if query is None and _names_a_document(payload):
            query = ""  # found by persisted_document
        else:
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


def _names_a_document(payload: Mapping[str, Any]) -> bool:
    extensions = payload.get("extensions")
    persisted = isinstance(extensions, dict) and "persistedQuery" in extensions
    return persisted or payload.get("documentId") is not None


def persisted_document(
    handler: BaseGraphQLTransportWSHandler[Context, None] | BaseGraphQLWSHandler[Context, None],
    payload: dict[str, Any],
) -> dict[str, Any] | None:
    """Sets `payload.query` to the document its hash or id stands for (graphql/persisted.py);
    the error to send when there is none."""
    persisted: PersistedDocuments | None = getattr(handler.view, "persisted", None)
    new_message()
    try:
        document = with_document(persisted, payload)
    except PersistedQueryError as refusal:
        return coded_error(refusal.message, refusal.code)
    payload["query"] = document["query"]
    return None


def has_id(message: Mapping[str, Any]) -> bool:
    return isinstance(message.get("id"), str) and bool(message["id"])


def expiry_timer(context: Context, websocket: AsyncWebSocketAdapter) -> ExpiryTimer | None:
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


def hold_for(context: Context, websocket: AsyncWebSocketAdapter) -> None:
    """Once the caller is known: the frames of this socket count in its account."""
    if isinstance(websocket, GatewayWebSocketAdapter) and websocket.holdings is None:
        websocket.holdings = context.limits.holdings(context.principal.id)


def too_many_subscriptions(context: Context) -> str:
    """The refusal of a subscription over the connection's cap, reported as a limit refusal."""
    limit = context.settings.limits.max_subscriptions_per_connection
    context.core.telemetry.refused(
        Refusal(
            "limit",
            LimitExceeded.code,
            "subscriptions_per_connection",
            principal=context.principal.subject or "anonymous",
            source_ip=context.request.remote,
            request_id=context.request.get(REQUEST_ID),
        )
    )
    return f"at most {limit} subscriptions per connection (limits.max_subscriptions_per_connection)"


def mark_shared(
    handler: BaseGraphQLTransportWSHandler[Context, None] | BaseGraphQLWSHandler[Context, None],
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


def error_payload(message: str, code: str = REQUEST_ERROR_CODE) -> dict[str, Any]:
    return coded_error(message, code)
