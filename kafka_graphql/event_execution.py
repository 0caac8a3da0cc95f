"""Execution of a subscription's events: a message whose selection fails unexpectedly ends its
stream (docs/limits.md#one-subscription-never-affects-another).

graphql-core reports a resolver that raises as an error beside the data and goes on with the
next event; for a stream that would be a `next` without its record for every record that fails
(and a log line each), and a cursor that moves past them. Here an event whose execution has an
error the gate would mask (INTERNAL_SERVER_ERROR: anything but the gateway's coded errors) ends
its stream instead, with its own error and the cursor that resumes at that message, logged once
(stream_failures.py). Coded errors stay beside the data, as before.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from graphql import ExecutionResult, GraphQLError
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from kafka_graphql.errors import GatewayError
from kafka_graphql.stream_failures import message_error


class GatewayExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def execute_operation(self, serially: bool | None = None) -> Any:
        result = super().execute_operation(serially)
        message = self.root_value
        if not hasattr(message, "resume_positions"):
            return result  # not a stream's event (resolvers/messages.py: RecordFields)
        if self.is_awaitable(result):
            return _checked_later(result, message)
        return _checked(result, message)


async def _checked_later(result: Awaitable[Any], message: Any) -> Any:
    return _checked(await result, message)


def _checked(result: Any, message: Any) -> Any:
    errors = result.errors if isinstance(result, ExecutionResult) else None
    if errors:
        for error in errors:
            cause = _unexpected(error)
            if cause is not None:
                raise message_error(message, cause)
    return result


def _unexpected(error: GraphQLError) -> BaseException | None:
    """The cause of `error` unless it is one of the gateway's coded errors."""
    original = error.original_error
    while isinstance(original, GraphQLError):
        original = original.original_error
    if isinstance(original, GatewayError):
        return None
    return original or error
