"""Legacy graphql-ws (subscriptions-transport-ws, PROTOCOL.md and its reference server): a message
that isn't JSON is a `connection_error`, one of no known type an `error`; where the protocol has
no rule (no `id`, binary frames, a second `connection_init`) the socket closes with 4400 (the
rules of both subprotocols: graphql/ws/__init__.py)."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import Any, cast

from strawberry.http.exceptions import (
    NonJsonMessageReceived,
    NonTextMessageReceived,
    WebSocketDisconnected,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import DataMessage, OperationMessage

from kafka_graphql.core.errors import LimitExceeded, Unauthenticated, Undeliverable
from kafka_graphql.graphql.context import Context
from kafka_graphql.graphql.ws.auth import ExpiryTimer
from kafka_graphql.graphql.ws.common import (
    FORBIDDEN,
    INITIALISATION_TIMEOUT,
    INVALID_MESSAGE,
    LEGACY_WS_TYPES,
    TOO_MANY_CONNECTIONS,
    UNAUTHORIZED,
    InFlightMessages,
    OperationEnded,
    TooManyConnections,
    error_payload,
    expiry_timer,
    has_id,
    hold_for,
    mark_shared,
    payload_problem,
    persisted_document,
    release_connection,
    too_many_subscriptions,
)


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
                    {
                        "type": "connection_error",
                        "payload": error_payload("a message is not valid JSON"),
                    }
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
        mark_shared(self, query, operation_name, variables, {"type": "data", "id": operation_id})
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
                    "payload": error_payload("Invalid message type"),
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
            if not has_id(message):
                await self.websocket.close(INVALID_MESSAGE, "`id` must be a non-empty string")
                return
        if kind == "start":
            max_query = self.context.settings.limits.max_query_bytes
            problem = payload_problem(message.get("payload"), max_query)
            if problem is not None:
                await self.websocket.send_json(
                    {"type": "error", "id": message["id"], "payload": error_payload(problem)}
                )
                return
            refusal = persisted_document(self, message["payload"])
            if refusal is not None:
                await self.websocket.send_json(
                    {"type": "error", "id": message["id"], "payload": refusal}
                )
                return
            # As on graphql-transport-ws (a `start` that reuses an id replaces that operation).
            limit = self.context.settings.limits.max_subscriptions_per_connection
            if message["id"] not in self.tasks and len(self.tasks) >= limit:
                error = error_payload(too_many_subscriptions(self.context), LimitExceeded.code)
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
                {"type": "connection_error", "payload": error_payload(error.message, error.code)}
            )
            await self.websocket.close(FORBIDDEN, f"Forbidden: {error.message}")
            return
        except TooManyConnections as refusal:
            await self.websocket.send_json(
                {
                    "type": "connection_error",
                    "payload": error_payload(refusal.reason, LimitExceeded.code),
                }
            )
            await self.websocket.close(TOO_MANY_CONNECTIONS, refusal.reason)
            return
        if self.connection_acknowledged and self.expiry is None:
            self.expiry = expiry_timer(self.context, self.websocket)
            hold_for(self.context, self.websocket)
