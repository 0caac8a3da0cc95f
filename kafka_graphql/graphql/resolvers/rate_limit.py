"""The `rateLimit` query field: the caller's cost budget."""

from __future__ import annotations

from datetime import UTC, datetime

from graphql import DocumentNode

from kafka_graphql.graphql.context import Info
from kafka_graphql.graphql.limits.operation import CostedSchema
from kafka_graphql.graphql.schema.rate_limit import RateLimit
from kafka_graphql.graphql.schema.scalars import DateTime


async def resolve_rate_limit(info: Info) -> RateLimit:
    schema = info.schema
    assert isinstance(schema, CostedSchema)
    # This operation's cost, computed again from what the resolver sees: costing is pure, and a
    # WebSocket's context is shared by its concurrent operations, so there is nowhere per
    # operation to carry it. graphql-core's info holds the fragments (Strawberry's does not).
    raw = info._raw_info
    document = DocumentNode(definitions=(raw.operation, *raw.fragments.values()))
    cost = schema.costs.operation_cost(document, info.variable_values)
    status = info.context.limits.budget(info.context.principal.id)
    return RateLimit(
        limit=status.maximum,
        cost=cost.requested,
        remaining=int(status.available),
        reset_at=DateTime(datetime.fromtimestamp(status.full_at, tz=UTC)),
    )
