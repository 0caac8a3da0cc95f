"""Builds the schema, with the operation gate and the structural limits of a public endpoint."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any

import strawberry
from graphql import ASTValidationRule, GraphQLError, NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig

from kafka_graphql.core.auth.field_rules import FieldKey, FieldRules
from kafka_graphql.core.typed.model import TypeModel
from kafka_graphql.core.typed.records import TypedRecords
from kafka_graphql.core.typed.where.shapes import ObjectShape
from kafka_graphql.graphql.auth.field_check import field_authorization
from kafka_graphql.graphql.documents import DocumentCache
from kafka_graphql.graphql.event_execution import GatewayExecutionContext
from kafka_graphql.graphql.gate import OperationGate
from kafka_graphql.graphql.limits.cost import CostModel
from kafka_graphql.graphql.limits.directive import show_weights
from kafka_graphql.graphql.limits.filter_cost import FilterPricing
from kafka_graphql.graphql.limits.operation import OperationLimits
from kafka_graphql.graphql.limits.structure import StructuralLimits
from kafka_graphql.graphql.schema.directives import (
    add_auth_directives,
    check_generic_guards,
    with_telling,
    with_typed_messages,
)
from kafka_graphql.graphql.schema.root import Mutation, Query, Subscription
from kafka_graphql.graphql.schema.scalars import SCALAR_MAP
from kafka_graphql.graphql.schema.typed import check_names, gateway_names, typed_roots
from kafka_graphql.graphql.schema.typed.names import TopicNames
from kafka_graphql.graphql.telemetry import OperationTelemetry
from kafka_graphql.graphql.validation_caches import IdentityCaches
from kafka_graphql.settings import LimitsSettings, ServerSettings
from kafka_graphql.settings.limits import weight_keys


class GatewaySchema(strawberry.Schema):
    # Weights and size rules of this schema's fields (kafka_graphql/graphql/limits/cost.py).
    costs: CostModel
    # (type, field) -> scopes of which a caller needs one to select the field: what put @auth on
    # the fields, and what the gate checks (graphql/auth/field_check.py).
    field_guards: Mapping[FieldKey, tuple[str, ...]] = MappingProxyType({})
    # The documents its gate parsed and validated (kafka_graphql/graphql/documents.py).
    documents: DocumentCache
    # `<Root>Where` input type -> its typed topic's model: the filters that the cost model and
    # field authorization read (kafka_graphql/graphql/filter_arguments.py).
    where_models: Mapping[str, TypeModel] = MappingProxyType({})

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        # Client mistakes are answered, not logged with a traceback; the operation gate logs the
        # unexpected ones.
        return


def build_schema(
    limits: LimitsSettings | None = None,
    typed: Iterable[TypedRecords] = (),
    server: ServerSettings | None = None,
    rules: FieldRules | None = None,
) -> GatewaySchema:
    """The generic API, plus the generated fields and types of each typed topic. `server` says
    whether introspection and field suggestions are on (its profile, or its explicit keys);
    `rules` which fields need a scope (@auth, checked on every operation) or are masked.

    Raises NameClash, before any typed type is built, when two generated names (or a generated
    name and one of the generic API's) would mean different things, and FieldRuleProblem when
    `auth.field_scopes` names a field the generic API does not have.
    """
    limits = limits or LimitsSettings()
    server = server or ServerSettings()
    rules = rules or FieldRules()
    typed = list(typed)
    guarded = bool(rules.generic or rules.guards)
    generic = _schema(limits, server, Query, Mutation, Subscription, guarded)
    check_generic_guards(generic._schema, rules.generic)
    if not typed:
        _guard(generic, with_telling(rules.generic))
        return generic
    # Read with the development profile's introspection: only the names are wanted here.
    check_names(
        (r.topic for r in typed),
        gateway_names(_schema(limits, ServerSettings(), Query, Mutation, Subscription)),
    )
    models = {ObjectShape(r.topic.model.root).input_name: r.topic.model for r in typed}
    schema = _schema(limits, server, *typed_roots(typed, rules.masks), guarded, models)
    messages = (TopicNames.of(r.topic.rule).message for r in typed)
    guards = with_typed_messages(schema._schema, rules.generic, messages)
    _guard(schema, {**guards, **rules.guards})
    return schema


def _guard(schema: GatewaySchema, guards: Mapping[FieldKey, tuple[str, ...]]) -> None:
    add_auth_directives(schema, guards)
    schema.field_guards = MappingProxyType(dict(guards))


def _schema(
    limits: LimitsSettings,
    server: ServerSettings,
    query: type[Any],
    mutation: type[Any],
    subscription: type[Any],
    guarded: bool = False,
    where_models: Mapping[str, TypeModel] | None = None,
) -> GatewaySchema:
    suggestions = server.shows_field_suggestions
    # Field authorization walks each operation's document: only when a field has @auth.
    document_checks = (field_authorization,) if guarded else ()
    # The structural caps (expanded fields, depth, aliases, field merges), checked before any
    # validation rule, in time linear in the document (graphql/limits/structure.py): Strawberry's
    # QueryDepthLimiter and MaxAliasesLimiter expand fragments at every spread. The gate runs
    # them and the rules; both are the same for every operation of this schema, which is what
    # lets it keep their answers (kafka_graphql/graphql/documents.py).
    structure = StructuralLimits(limits)
    rules = _validation_rules(server)
    # One per schema: its entries are this schema's answers (kafka_graphql/graphql/documents.py).
    documents = DocumentCache(server.document_cache_tokens)
    # A factory: each operation gets a fresh gate.
    extensions: list[Callable[[], SchemaExtension]] = [
        # First: its end runs last, once the gate has made the errors public.
        OperationTelemetry,
        lambda: OperationGate(
            document_checks=document_checks,
            field_suggestions=suggestions,
            limits=OperationLimits(schema.costs, limits),
            validation_rules=rules,
            max_tokens=limits.max_query_tokens,
            documents=documents,
            structure=structure,
        ),
    ]
    schema = GatewaySchema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
        extensions=extensions,
        # Long lists are completed in slices, so that a large page does not hold the loop; a
        # stream's event that fails, or is too large to send, ends that stream.
        execution_context_class=GatewayExecutionContext,
    )
    schema.costs = CostModel(
        schema._schema,
        weight_keys(limits.cost_weights),
        max_page_size=limits.max_page_size,
        max_batch_size=limits.max_batch_size,
        filters=FilterPricing(limits, where_models),
        max_headers=limits.max_headers_per_record,
    )
    schema.documents = documents
    schema.where_models = MappingProxyType(dict(where_models or {}))
    show_weights(schema, schema.costs)
    return schema


def _validation_rules(server: ServerSettings) -> list[type[ASTValidationRule]]:
    """What the gate adds to graphql-core's validation rules."""
    # Not a check: graphql-core's caches keyed on node identity, 25% off validating a large
    # document (graphql/validation_caches.py).
    rules: list[type[ASTValidationRule]] = [IdentityCaches]
    if not server.allows_introspection:
        # `__schema` or `__type` anywhere (`__typename` stays) is refused with
        # GRAPHQL_VALIDATION_FAILED before anything runs, on every transport.
        rules.append(NoSchemaIntrospectionCustomRule)
    return rules
