"""The gate's field-level authorization: an operation that selects a field whose @auth the
caller's scopes do not meet is refused with FORBIDDEN before anything runs (no resolver, so no
Kafka call), over every transport, for queries, mutations and subscriptions alike."""

from __future__ import annotations

from collections.abc import Mapping

from graphql import get_operation_ast
from strawberry.types import ExecutionContext

from kafka_graphql.auth.field_rules import FieldKey, needs
from kafka_graphql.auth.scopes import may_see
from kafka_graphql.auth.selections import selected_fields
from kafka_graphql.errors import Forbidden


def field_authorization(execution: ExecutionContext) -> None:
    """An OperationGate check (gate.py). Names every guarded field the caller may not select:
    "Order.customer needs scope orders:pii"."""
    document = execution.graphql_document
    if document is None:
        return
    operation = get_operation_ast(document, execution.operation_name)
    if operation is None:
        return  # Strawberry refuses the request before it runs
    # The table that put @auth on the schema's fields (GatewaySchema in schema/build.py).
    guards: Mapping[FieldKey, tuple[str, ...]] = getattr(execution.schema, "field_guards", {})
    # A context without a principal has no scopes (fail closed).
    principal = getattr(execution.context, "principal", None)
    scopes = principal.scopes if principal is not None else frozenset()
    refusals = []
    for selected in selected_fields(execution.schema._schema, document, operation):
        required = guards.get((selected.type_name, selected.field_name))
        if required is not None and not may_see(scopes, required):
            refusals.append(f"{selected.type_name}.{selected.field_name} {needs(required)}")
    if refusals:
        raise Forbidden("; ".join(refusals))
