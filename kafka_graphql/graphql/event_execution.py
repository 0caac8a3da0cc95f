"""Execution of a subscription's events: a message whose selection fails unexpectedly, or whose
result would be too large to send, ends its stream
(docs/limits.md#one-subscription-never-affects-another).

graphql-core reports a resolver that raises as an error beside the data and goes on with the
next event; for a stream that would be a `next` without its record for every record that fails
(and a log line each), and a cursor that moves past them. Here an event whose execution has an
error the gate would mask (INTERNAL_SERVER_ERROR: anything but the gateway's coded errors) ends
its stream instead, with its own error and the cursor that resumes at that message, logged once
(graphql/stream_failures.py). Coded errors stay beside the data, as before. A result that could
encode to more than `limits.max_frame_bytes` (graphql/frame_size.py) ends its stream with
LIMIT_EXCEEDED and that message's cursor, before it is encoded.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from graphql import ExecutionResult, GraphQLError

from kafka_graphql.core.errors import GatewayError, LimitExceeded
from kafka_graphql.graphql.frame_size import check_frame
from kafka_graphql.graphql.sliced_execution import SlicedExecutor
from kafka_graphql.graphql.stream_failures import message_error
from kafka_graphql.settings.limits import LimitsSettings


class GatewayExecutionContext(SlicedExecutor):
    """The sliced executor (graphql/sliced_execution.py), checking each of a stream's events."""

    def execute_operation(self, serially: bool | None = None) -> Any:
        result = super().execute_operation(serially)
        message = self.root_value
        if not hasattr(message, "resume_positions"):
            return result  # not a stream's event (graphql/resolvers/messages.py: RecordFields)
        settings = getattr(self.context_value, "settings", None)
        limits = settings.limits if settings is not None else None
        if self.is_awaitable(result):
            return _checked_later(result, message, limits)
        return _checked(result, message, limits)


async def _checked_later(
    result: Awaitable[Any], message: Any, limits: LimitsSettings | None
) -> Any:
    return _checked(await result, message, limits)


def _checked(result: Any, message: Any, limits: LimitsSettings | None) -> Any:
    if not isinstance(result, ExecutionResult):
        return result
    for error in result.errors or ():
        cause = _unexpected(error)
        if cause is not None:
            raise message_error(message, cause)
    if limits is not None and result.data is not None:
        try:
            check_frame(limits, message.record, len(message.positions), result.data)
        except LimitExceeded as too_large:
            raise message_error(message, too_large) from None
    return result


def _unexpected(error: GraphQLError) -> BaseException | None:
    """The cause of `error` unless it is one of the gateway's coded errors."""
    original = error.original_error
    while isinstance(original, GraphQLError):
        original = original.original_error
    if isinstance(original, GatewayError):
        return None
    return original or error
