"""Builds the schema, with the operation gate and the structural limits of a public endpoint."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.config import StrawberryConfig

from kafka_graphql.gate import OperationGate
from kafka_graphql.limits import CostModel, OperationLimits, show_weights
from kafka_graphql.limits.settings import weight_keys
from kafka_graphql.resolvers.typed.records import TypedRecords
from kafka_graphql.schema.root import Mutation, Query, Subscription
from kafka_graphql.schema.scalars import SCALAR_MAP
from kafka_graphql.schema.typed import check_names, gateway_names, typed_roots
from kafka_graphql.settings import LimitsSettings, ServerSettings


class GatewaySchema(strawberry.Schema):
    # Weights and size rules of this schema's fields (kafka_graphql/limits/cost.py).
    costs: CostModel

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        # Client mistakes are answered, not logged with a traceback; the operation gate logs the
        # unexpected ones.
        return


def build_schema(
    limits: LimitsSettings | None = None,
    typed: Iterable[TypedRecords] = (),
    server: ServerSettings | None = None,
) -> GatewaySchema:
    """The generic API, plus the generated fields and types of each typed topic. `server` says
    whether introspection and field suggestions are on (its profile, or its explicit keys).

    Raises NameClash, before any typed type is built, when two generated names (or a generated
    name and one of the generic API's) would mean different things.
    """
    limits = limits or LimitsSettings()
    server = server or ServerSettings()
    typed = list(typed)
    generic = _schema(limits, server, Query, Mutation, Subscription)
    if not typed:
        return generic
    # Read with the development profile's introspection: only the names are wanted here.
    check_names(
        (r.topic for r in typed),
        gateway_names(_schema(limits, ServerSettings(), Query, Mutation, Subscription)),
    )
    return _schema(limits, server, *typed_roots(typed))


def _schema(
    limits: LimitsSettings,
    server: ServerSettings,
    query: type[Any],
    mutation: type[Any],
    subscription: type[Any],
) -> GatewaySchema:
    suggestions = server.shows_field_suggestions
    # Factories: each operation gets fresh extension instances.
    # The gate comes first so that it sees (and formats) what the others report.
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: OperationGate(
            field_suggestions=suggestions, limits=OperationLimits(schema.costs, limits)
        ),
        lambda: MaxTokensLimiter(max_token_count=limits.max_query_tokens),
        lambda: MaxAliasesLimiter(max_alias_count=limits.max_aliases),
        lambda: QueryDepthLimiter(max_depth=limits.max_query_depth),
    ]
    if not server.allows_introspection:
        # A validation rule: `__schema` or `__type` anywhere (`__typename` stays) is refused
        # with GRAPHQL_VALIDATION_FAILED before anything runs, on every transport.
        extensions.append(DisableIntrospection)
    schema = GatewaySchema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
        extensions=extensions,
    )
    schema.costs = CostModel(
        schema._schema,
        weight_keys(limits.cost_weights),
        max_page_size=limits.max_page_size,
        max_batch_size=limits.max_batch_size,
    )
    show_weights(schema, schema.costs)
    return schema
