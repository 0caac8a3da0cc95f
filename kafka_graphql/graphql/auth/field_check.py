"""The gate's field-level authorization: an operation that selects a field whose @auth the
caller's scopes do not meet is refused with FORBIDDEN before anything runs (no resolver, so no
Kafka call), over every transport, for queries, mutations and subscriptions alike.

Arguments are guarded like selections, by the same table: a filter that reads a field answers
differently when it matches, so it could search out what the caller may not select. A generic
`filter` reads the record's key (`key`, `keyPrefix`), its headers (each header, and the header's
key and value) and its value (each `value` condition); a typed `where` reads the record's key
(`key`), its value (every other entry) and each value field it names, nested ones included. The
variables are resolved first: a filter passed as a variable is read the same.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from graphql import get_operation_ast
from strawberry.types import ExecutionContext

from kafka_graphql.core.auth.field_rules import FieldKey, needs
from kafka_graphql.core.auth.scopes import may_see
from kafka_graphql.core.errors import Forbidden
from kafka_graphql.core.filters.bounds import FieldRead, dotted_path, message_filter_reads
from kafka_graphql.core.typed.model import TypeModel
from kafka_graphql.core.typed.where import inspect_where
from kafka_graphql.graphql.auth.selections import selections_and_arguments
from kafka_graphql.graphql.filter_arguments import filter_arguments
from kafka_graphql.graphql.limits.values import operation_variables

# The generic record type, whose guards hold on every typed `<Type>Message` too.
RECORD = "Message"


def field_authorization(execution: ExecutionContext) -> None:
    """An OperationGate check (graphql/gate.py). Names every guarded field the caller may not
    select: "Order.customer needs scope orders:pii", and every one a filter argument reads:
    "where.customer reads Order.customer, which needs scope orders:pii" (with `extensions.path`
    the first such argument's path)."""
    document = execution.graphql_document
    if document is None:
        return
    operation = get_operation_ast(document, execution.operation_name)
    if operation is None:
        return  # Strawberry refuses the request before it runs
    # The table that put @auth on the schema's fields (GatewaySchema in graphql/schema/build.py).
    guards: Mapping[FieldKey, tuple[str, ...]] = getattr(execution.schema, "field_guards", {})
    where_models: Mapping[str, TypeModel] = getattr(execution.schema, "where_models", {})
    # A context without a principal has no scopes (fail closed).
    principal = getattr(execution.context, "principal", None)
    scopes = principal.scopes if principal is not None else frozenset()
    schema = execution.schema._schema
    selected, with_arguments = selections_and_arguments(schema, document, operation)
    refusals = []
    for field in selected:
        required = guards.get((field.type_name, field.field_name))
        if required is not None and not may_see(scopes, required):
            refusals.append(f"{field.type_name}.{field.field_name} {needs(required)}")
    variables = operation_variables(operation, execution.variables)
    refused_at: tuple[str | int, ...] | None = None
    reported: set[FieldKey] = set()
    for definition, node in with_arguments:
        for argument in filter_arguments(definition, node, variables, where_models):
            for at, key in _guarded_reads(argument.value, argument.name, argument.model):
                required = guards.get(key)
                if required is None or may_see(scopes, required) or key in reported:
                    continue
                reported.add(key)
                refused_at = refused_at or at
                refusals.append(
                    f"{dotted_path(at)} reads {key[0]}.{key[1]}, which {needs(required)}"
                )
    if refusals:
        extensions = {} if refused_at is None else {"path": list(refused_at)}
        raise Forbidden("; ".join(refusals), **extensions)


def _guarded_reads(
    value: object, argument: str, model: TypeModel | None
) -> Iterator[tuple[tuple[str | int, ...], FieldKey]]:
    """(where in the arguments, the field read) for each field a filter reads."""
    reads: list[FieldRead]
    if model is None:
        reads = message_filter_reads(value, argument)
    else:
        # Depth only: the caps are the cost model's, once the caller may run the operation.
        reads = list(inspect_where(model, value, None, argument).reads)
    for read in reads:
        if read.type_name is None:
            yield read.at, (RECORD, read.field)
        else:
            if model is not None:
                yield read.at, (RECORD, "value")  # a typed value field is read from the value
            yield read.at, (read.type_name, read.field)
