"""How a subscription that fails on something of its own ends: with its own error and the cursor
to resume from, logged once, while the feed and every other subscription go on
(docs/limits.md#one-subscription-never-affects-another).

A stream's pipeline (kafka/stream.py, the resolver's matching, the delivery budget) raises
StreamInterrupted with the positions to resume from; `ended` turns it into what the client sees:
the cause itself when it is one of the gateway's coded errors (an outage, a cut back), with
`extensions.cursor` added; otherwise StreamFailed, coded INTERNAL_SERVER_ERROR, the cause masked
and logged. A message that fails later, in its selection (graphql/event_execution.py) or while it is
encoded or written (graphql/ws/), ends its stream the same way, at that message.
"""

from __future__ import annotations

import copy
import logging
from contextvars import ContextVar
from typing import Any

from kafka_graphql.core.cursor import CursorSealer
from kafka_graphql.core.errors import GatewayError, StreamFailed, StreamInterrupted

log = logging.getLogger(__name__)

FAILED = (
    "this subscription failed on a message and has ended (the gateway logged why); resubscribe "
    "with `after` set to extensions.cursor to continue where it ended"
)


def ended(stopped: StreamInterrupted, cursors: CursorSealer) -> GatewayError:
    """The error that ends a stream interrupted by `stopped.cause`, with its cursor (sealed by
    `cursors`)."""
    return stream_error(
        stopped.topic, cursors.seal(stopped.topic, stopped.positions), stopped.cause
    )


def stream_error(topic: str, cursor: str | None, cause: BaseException) -> GatewayError:
    """The error that ends a stream of `topic` that resumes at `cursor` (None: unknown, for an
    operation that is not a stream) because of `cause`."""
    extensions = {} if cursor is None else {"cursor": cursor}
    if isinstance(cause, GatewayError):
        # A copy: one error may end many streams (a cut back), each with its own cursor.
        error = copy.copy(cause)
        error.extensions = {**cause.extensions, **extensions}
        return error
    # The only log line of this stream's end: the stream is over, so it cannot come again.
    log.error(
        "a subscription to %s failed on a message of its own and was ended (%s); the others go on",
        topic,
        "it resumes from its cursor" if cursor is not None else "no cursor",
        exc_info=cause,
    )
    return StreamFailed(FAILED, **extensions)


def message_error(message: Any, cause: BaseException) -> GatewayError:
    """The error that ends a stream whose `message` (a stream's message:
    graphql/resolvers/messages.py; None for an operation that is not a stream) could not be
    executed, encoded or sent; resuming loses nothing, this message included."""
    if message is None or not hasattr(message, "resume_positions"):
        return stream_error("an operation", None, cause)
    topic = message.record.topic
    return stream_error(topic, message.cursors.seal(topic, message.resume_positions()), cause)


class InFlight:
    """The message a WebSocket operation's stream has handed to graphql-core and the handler
    and not yet seen sent: what the handler reports when it cannot encode or write it."""

    __slots__ = ("message",)

    def __init__(self) -> None:
        self.message: Any = None


_IN_FLIGHT: ContextVar[InFlight | None] = ContextVar("in_flight", default=None)


def track_in_flight() -> InFlight:
    """Call in the task that runs an operation, before it runs; the handler keeps the result."""
    tracker = InFlight()
    _IN_FLIGHT.set(tracker)
    return tracker


def take_in_flight() -> InFlight | None:
    """The current operation's tracker, once (tasks the stream starts later must not inherit
    it: a topic's feed outlives the operation that started it)."""
    tracker = _IN_FLIGHT.get()
    if tracker is not None:
        _IN_FLIGHT.set(None)
    return tracker
