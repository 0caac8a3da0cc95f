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

The gate also keeps documents it has parsed and validated (graphql/documents.py): a document sent
again is neither parsed nor validated against the schema again. Document checks depend on the
caller, so they are never cached: they run on every operation, after the (cached) schema validation.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from aiohttp import web
from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    validate,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from kafka_graphql.core.errors import BadRequest, GatewayError
from kafka_graphql.graphql.documents import CachedDocument, DocumentCache
from kafka_graphql.graphql.limits.operation import OperationLimits
from kafka_graphql.graphql.limits.structure import StructuralLimits
from kafka_graphql.graphql.persisted import document_validated
from kafka_graphql.graphql.telemetry import name_request

log = logging.getLogger(__name__)

OperationCheck = Callable[[ExecutionContext], None]

INTERNAL_MESSAGE = "Internal server error"
# graphql-core's hints ("Cannot query field 'x' on type 'Query'. Did you mean 'y'?") name fields,
# arguments, types and enum values the caller did not ask for: a map of the schema without
# introspection. No GraphQL name can contain "?".
_SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")
_NO_ERRORS: frozenset[int] = frozenset()
# Validation stops at this many errors (graphql-core's default is 100). Each error finds its
# line and column by scanning the document up to its position: errors x length, which a
# document padded to `limits.max_query_bytes` with a hundred errors made tens of milliseconds.
MAX_VALIDATION_ERRORS = 20


def _is_streamed_subscription(execution: ExecutionContext) -> bool:
    """A subscription over a WebSocket or an HTTP stream (graphql/streams.py)."""
    if execution.operation_type is not OperationType.SUBSCRIPTION:
        return False
    context = execution.context
    return getattr(context, "stream", None) is not None or isinstance(
        getattr(context, "response", None), web.WebSocketResponse
    )


def subscriptions_need_a_stream(execution: ExecutionContext) -> None:
    """Over plain HTTP a subscription has nowhere to send its events."""
    if execution.operation_type is OperationType.SUBSCRIPTION and not _is_streamed_subscription(
        execution
    ):
        raise BadRequest(
            "subscriptions are served over WebSocket (graphql-transport-ws or graphql-ws), "
            "Server-Sent Events (Accept: text/event-stream) or multipart HTTP (Accept: "
            'multipart/mixed; subscriptionSpec="1.0", application/json) on this URL'
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
        validation_rules: Sequence[type[ASTValidationRule]] = (),
        max_tokens: int | None = None,
        documents: DocumentCache | None = None,
        structure: StructuralLimits | None = None,
    ) -> None:
        self._checks = tuple(checks)
        self._document_checks = tuple(document_checks)
        self._field_suggestions = field_suggestions
        self._limits = limits
        # The structural limits: the document's size in tokens (GRAPHQL_PARSE_FAILED), the
        # structural caps checked before any validation rule (expanded fields, depth, aliases,
        # field merges), and validation rules (introspection): GRAPHQL_VALIDATION_FAILED.
        self._rules = tuple(validation_rules)
        self._max_tokens = max_tokens
        self._structure = structure
        self._validation_errors = _NO_ERRORS
        # Shared by every operation of one schema (its rules and limits are the schema's).
        self._documents = documents
        self._cached: CachedDocument | None = None
        self._refused = False

    def on_parse(self) -> Iterator[None]:
        execution = self.execution_context
        text = execution.query or ""
        documents = self._documents if text and execution.graphql_document is None else None
        if documents is not None:
            self._cached = documents.get(text)
            if self._cached is not None:
                execution.graphql_document = self._cached.document  # Strawberry won't parse it
        yield
        document = execution.graphql_document
        if documents is not None and self._cached is None and document is not None:
            self._cached = documents.add(text, document)
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
        # Strawberry validates only when no extension did (strawberry/schema/schema.py).
        if execution.graphql_document is not None and execution.pre_execution_errors is None:
            execution.pre_execution_errors = self._validate(execution)
        yield
        errors = self.execution_context.pre_execution_errors
        # A subscription keeps its gate while it lives: nothing of its own when all went well.
        self._validation_errors = frozenset(id(e) for e in errors) if errors else _NO_ERRORS

    def _validate(self, execution: ExecutionContext) -> list[GraphQLError]:
        document = execution.graphql_document
        assert document is not None
        cached = self._cached
        errors = cached.errors if cached is not None else None
        if errors is None:
            # The structural caps first: graphql-core's rules run only on a document whose
            # size once its fragments are spread they bound (graphql/limits/structure.py). Then the
            # schema's rules, and those added in on_operation. All the same for every operation
            # of this schema, so the answer may be kept (a refusal too: cheap on repeat).
            errors = self._structure.check(document) if self._structure is not None else []
            if not errors:
                errors = validate_rules(
                    execution.schema._schema, document, execution.validation_rules
                )
            if cached is not None:
                cached.errors = errors
        if not errors:
            document_validated(execution.query or "")  # kept by its APQ hash, if sent with one
        refusal = self._check_document(execution)
        return [*errors, refusal] if refusal is not None else list(errors)

    def _check_document(self, execution: ExecutionContext) -> GraphQLError | None:
        """The caller-dependent checks of what the document selects (never cached)."""
        for check in self._document_checks:
            try:
                check(execution)  # raises a GatewayError to refuse the operation
            except GatewayError as refusal:
                return GraphQLError(refusal.message, original_error=refusal)
        return None

    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        try:
            for check in self._checks:
                check(execution)  # raises a GatewayError to refuse the operation
            if self._limits is not None:
                # Last: an operation another check refuses spends nothing.
                cached = self._cached
                memo = cached.cost_memo(execution.operation_name) if cached is not None else None
                self._limits.admit(execution, memo)
        except GatewayError as refusal:
            self._refused = True
            if _is_streamed_subscription(execution):
                raise  # the streaming path turns it into an `error` message for the client
            # Elsewhere an exception here would skip on_operation (and so the public shape):
            # answer with the refusal as the result, which Strawberry then does not execute.
            execution.result = GraphQLExecutionResult(
                data=None, errors=[GraphQLError(refusal.message, original_error=refusal)]
            )
        yield

    def on_operation(self) -> Iterator[None]:
        execution = self.execution_context
        if self._max_tokens is not None:
            execution.parse_options["max_tokens"] = self._max_tokens
        execution.validation_rules = _with_rules(tuple(execution.validation_rules), self._rules)
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = [self.public_error(e) for e in errors]  # type: ignore[union-attr]
            name_request(self.execution_context, result, self._refused)

    def get_results(self) -> dict[str, Any]:
        # After on_operation, so the limits see the errors in their public form.
        if self._limits is None:
            return {}
        return self._limits.results(self.execution_context)

    def on_stream_result(self, result: Any) -> Iterator[None]:
        if getattr(result, "errors", None):
            result.errors = [self.public_error(e) for e in result.errors]
            name_request(self.execution_context, result, self._refused)
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


def validate_rules(
    schema: GraphQLSchema, document: DocumentNode, rules: Sequence[type[ASTValidationRule]]
) -> list[GraphQLError]:
    """Strawberry's validate_document (its two rules added), stopping at
    MAX_VALIDATION_ERRORS errors."""
    every = (*rules, MaybeNullValidationRule, OneOfInputValidationRule)
    return validate(schema, document, every, max_errors=MAX_VALIDATION_ERRORS)


@functools.lru_cache(maxsize=8)
def _with_rules(
    rules: tuple[type[ASTValidationRule], ...], more: tuple[type[ASTValidationRule], ...]
) -> tuple[type[ASTValidationRule], ...]:
    """One tuple for every operation that adds the same rules to the same defaults (a
    subscription's ExecutionContext keeps it for as long as the subscription lives)."""
    return (*rules, *more)


def _with_code(
    error: GraphQLError, message: str, code: str, extensions: dict[str, Any]
) -> GraphQLError:
    public = GraphQLError(message, path=error.path, extensions={**extensions, "code": code})
    # Where it is, as found for `error`: found again from the nodes, it would scan the
    # document up to each of them once more.
    public.nodes = error.nodes
    public.source = error.source
    public.positions = error.positions
    public.locations = error.locations
    return public
