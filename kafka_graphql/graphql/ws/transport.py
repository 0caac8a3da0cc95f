"""graphql-transport-ws (https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md): close
4400 for an invalid message, 4401 for anything but ping/pong before the connection is
acknowledged, 4409 for an id already in use, 4429 for a second `connection_init` (the rules of
both subprotocols: graphql/ws/__init__.py)."""

from __future__ import annotations

from typing import Any, cast

from graphql import GraphQLFormattedError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ErrorMessage,
    NextMessage,
)

from kafka_graphql.core.errors import LimitExceeded, Unauthenticated, Undeliverable
from kafka_graphql.graphql.context import Context
from kafka_graphql.graphql.ws.auth import ExpiryTimer
from kafka_graphql.graphql.ws.common import (
    FORBIDDEN,
    INVALID_MESSAGE,
    SUBSCRIBER_EXISTS,
    TOO_MANY_CONNECTIONS,
    TOO_MANY_INITIALISATION_REQUESTS,
    TRANSPORT_WS_TYPES,
    UNAUTHORIZED,
    InFlightMessages,
    OperationEnded,
    TooManyConnections,
    expiry_timer,
    has_id,
    hold_for,
    mark_shared,
    payload_problem,
    persisted_document,
    release_connection,
    too_many_subscriptions,
)
from kafka_graphql.http.errors import coded_error


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
            self.expiry = expiry_timer(self.context, self.websocket)
            hold_for(self.context, self.websocket)

    async def handle_subscribe(self, message: Any) -> None:
        # Counted here, with the operations this socket has in flight, and not when a stream
        # starts: subscribes sent together would all pass a count of started streams.
        limit = self.context.settings.limits.max_subscriptions_per_connection
        if len(self.operations) >= limit:
            error = cast(
                "GraphQLFormattedError",
                coded_error(too_many_subscriptions(self.context), LimitExceeded.code),
            )
            refusal: ErrorMessage = {"id": message["id"], "type": "error", "payload": [error]}
            await self.send_message(refusal)
            return
        problem = persisted_document(self, message["payload"])
        if problem is not None:
            error = cast("GraphQLFormattedError", problem)
            await self.send_message({"id": message["id"], "type": "error", "payload": [error]})
            return
        await super().handle_subscribe(message)

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        mark_shared(
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
            if not has_id(message):
                return INVALID_MESSAGE, "`id` must be a non-empty string"
        if kind == "subscribe":
            max_query = self.context.settings.limits.max_query_bytes
            problem = payload_problem(message.get("payload"), max_query)
            if problem is not None:
                return INVALID_MESSAGE, problem
            if message["id"] in self.operations:
                # Strawberry says the same with the id in the reason, however long it is.
                return SUBSCRIBER_EXISTS, "Subscriber for this id already exists"
        return None
