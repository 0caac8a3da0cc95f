"""The operation gate: every GraphQL operation, over any transport, passes through here.

It is the one place that (1) runs the checks an operation must pass before it executes and
(2) turns every error into the public shape: a message that is safe to show and
`extensions.code`. Errors the gateway did not raise on purpose are logged and masked, so no
stack trace or internal name leaks.

Authentication-aware checks plug in as `checks`, which run just before execution (how an
operation is sent: a subscription needs a stream), or as `document_checks`, which run with
validation (what an operation selects: field-level authorization). A document check's refusal
is a pre-execution error on every transport, as a validation error is: on a WebSocket an
`error` message, like a refused topic, rather than a result. The limits (query cost, budgets)
are one entry point, `limits`: admitted after every check, and reported in the response's
extensions.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from aiohttp import web
from graphql import (
    ASTValidationRule,
    GraphQLError,
    GraphQLSyntaxError,
    OperationDefinitionNode,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from kafka_graphql.errors import BadRequest, GatewayError
from kafka_graphql.limits import OperationLimits

log = logging.getLogger(__name__)

OperationCheck = Callable[[ExecutionContext], None]

INTERNAL_MESSAGE = "Internal server error"
# graphql-core's hints ("Cannot query field 'x' on type 'Query'. Did you mean 'y'?") name fields,
# arguments, types and enum values the caller did not ask for: a map of the schema without
# introspection. No GraphQL name can contain "?".
_SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")


def _is_websocket_subscription(execution: ExecutionContext) -> bool:
    return execution.operation_type is OperationType.SUBSCRIPTION and isinstance(
        getattr(execution.context, "response", None), web.WebSocketResponse
    )


def subscriptions_need_a_stream(execution: ExecutionContext) -> None:
    """Over plain HTTP a subscription has nowhere to send its events."""
    if execution.operation_type is OperationType.SUBSCRIPTION and not _is_websocket_subscription(
        execution
    ):
        raise BadRequest(
            "subscriptions are served over WebSocket (graphql-transport-ws or graphql-ws) "
            "on this URL"
        )


DEFAULT_CHECKS: tuple[OperationCheck, ...] = (subscriptions_need_a_stream,)


class OperationNameRequired(CannotGetOperationTypeError):
    """A CannotGetOperationTypeError, so that every transport refuses it the way Strawberry
    refuses an unknown operationName (HTTP 400, graphql-transport-ws close 4400)."""

    def __init__(self) -> None:
        super().__init__(None)

    def as_http_error_reason(self) -> str:
        return "the document has several operations: operationName must say which one to run"


class OperationGate(SchemaExtension):
    def __init__(
        self,
        *,
        checks: Sequence[OperationCheck] = DEFAULT_CHECKS,
        document_checks: Sequence[OperationCheck] = (),
        field_suggestions: bool = True,
        limits: OperationLimits | None = None,
    ) -> None:
        self._checks = tuple(checks)
        self._document_checks = tuple(document_checks)
        self._field_suggestions = field_suggestions
        self._limits = limits
        self._validation_errors: set[int] = set()

    def on_parse(self) -> Iterator[None]:
        yield
        execution = self.execution_context
        document = execution.graphql_document
        # Strawberry runs the first operation when no name is given (ExecutionContext.
        # operation_name in strawberry/types/execution.py); the GraphQL spec (GetOperation)
        # requires an error. Only the private field tells a given name from that default.
        given_name = getattr(execution, "_provided_operation_name", None)
        if document is not None and given_name is None:
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            if len(operations) > 1:
                raise OperationNameRequired

    def on_validate(self) -> Iterator[None]:
        execution = self.execution_context
        if self._document_checks:
            rule = _validation_rule(execution, self._document_checks)
            execution.validation_rules = (*execution.validation_rules, rule)
        yield
        self._validation_errors = {id(e) for e in self.execution_context.pre_execution_errors or ()}

    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        try:
            for check in self._checks:
                check(execution)  # raises a GatewayError to refuse the operation
            if self._limits is not None:
                # Last: an operation another check refuses spends nothing.
                self._limits.admit(execution)
        except GatewayError as refusal:
            if _is_websocket_subscription(execution):
                raise  # the streaming path turns it into an `error` message for the client
            # Elsewhere an exception here would skip on_operation (and so the public shape):
            # answer with the refusal as the result, which Strawberry then does not execute.
            execution.result = GraphQLExecutionResult(
                data=None, errors=[GraphQLError(refusal.message, original_error=refusal)]
            )
        yield

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = [self.public_error(e) for e in errors]  # type: ignore[union-attr]

    def get_results(self) -> dict[str, Any]:
        # After on_operation, so the limits see the errors in their public form.
        if self._limits is None:
            return {}
        return self._limits.results(self.execution_context)

    def on_stream_result(self, result: Any) -> Iterator[None]:
        if getattr(result, "errors", None):
            result.errors = [self.public_error(e) for e in result.errors]
        yield

    def public_error(self, error: GraphQLError) -> GraphQLError:
        if (error.extensions or {}).get("code"):
            return error  # already public (a stream result seen twice)
        original = error.original_error
        # graphql-core wraps its own errors (e.g. variable coercion); look through to the cause.
        while isinstance(original, GraphQLError):
            original = original.original_error
        if isinstance(original, GatewayError):
            return _with_code(error, error.message, original.code, original.extensions)
        if isinstance(original, CannotGetOperationTypeError | InvalidOperationTypeError):
            # Which operation to run, and whether this transport may run it, are request errors.
            return _with_code(error, error.message[:200], "BAD_REQUEST", {})
        if original is not None:
            log.error("unexpected error in %s", error.path or "operation", exc_info=original)
            return _with_code(error, INTERNAL_MESSAGE, "INTERNAL_SERVER_ERROR", {})
        if isinstance(error, GraphQLSyntaxError):
            return _with_code(error, error.message, "GRAPHQL_PARSE_FAILED", {})
        message = error.message if self._field_suggestions else _SUGGESTION.sub("", error.message)
        if id(error) in self._validation_errors:
            return _with_code(error, message, "GRAPHQL_VALIDATION_FAILED", {})
        if error.path is None:
            # Outside validation and without a field: the variables did not fit the operation.
            return _with_code(error, message, "BAD_USER_INPUT", {})
        log.error("unexpected GraphQL error at %s: %s", error.path, error.message)
        return _with_code(error, INTERNAL_MESSAGE, "INTERNAL_SERVER_ERROR", {})


def _validation_rule(
    execution: ExecutionContext, checks: tuple[OperationCheck, ...]
) -> type[ASTValidationRule]:
    """The document checks as a validation rule of this operation (a rule sees the document
    only; this one also sees the caller, through `execution`)."""

    class DocumentChecks(ASTValidationRule):
        def leave_document(self, *_: object) -> None:
            for check in checks:
                try:
                    check(execution)  # raises a GatewayError to refuse the operation
                except GatewayError as refusal:
                    self.report_error(GraphQLError(refusal.message, original_error=refusal))
                    return

    return DocumentChecks


def _with_code(
    error: GraphQLError, message: str, code: str, extensions: dict[str, Any]
) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={**extensions, "code": code},
    )
