"""The caller's cost budget, as GitHub's `rateLimit` reports it."""

from __future__ import annotations

import strawberry

from kafka_graphql.graphql.schema.scalars import DateTime


@strawberry.type(
    description="The caller's budget of cost points (a leaky bucket per caller, refilled "
    "continuously; see the gateway's docs/limits.md). Reading it costs nothing."
)
class RateLimit:
    limit: int = strawberry.field(description="The most points the budget holds.")
    cost: int = strawberry.field(description="What this operation costs (as requested).")
    remaining: int = strawberry.field(
        description="Points left now, this operation's cost taken; what it does not use is "
        "given back when it ends."
    )
    reset_at: DateTime = strawberry.field(description="When the budget is full again.")
