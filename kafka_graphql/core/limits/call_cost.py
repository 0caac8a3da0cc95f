"""What a call costs on a face that has no GraphQL document to price (gRPC), in the points of
the GraphQL cost model (docs/limits.md#the-cost-model), so that a call costs what its GraphQL
counterpart does and both are paid from the one budget of each caller:

- a write 10 (a mutation), a batch 10 plus 1 per message, plus a point per 4 headers written;
- the topics' list 1;
- a stream its opening cost (10 plus its filter's, as a subscription's), charged when it opens,
  and refused with COST_LIMIT_EXCEEDED when that plus one message (1, and its headers: a point
  per 32 of the most a record shows) is over `limits.max_query_cost`.

The points of a filter are the GraphQL model's own (graphql/limits/filter_cost.py reads them
here): conditions and `in` values times the records it may look at."""

from __future__ import annotations

import math

from kafka_graphql.core.errors import CostLimitExceeded
from kafka_graphql.core.filters.bounds import FilterSize
from kafka_graphql.core.limits.registry import LimitsRegistry

# A list without a size argument counts as one item (`topics { name }`).
LIST_COST = 1
MUTATION_WEIGHT = 10
SUBSCRIPTION_OPENING_WEIGHT = 10
HEADERS_PER_POINT = 32
WRITTEN_HEADERS_PER_POINT = 4
# Points per 1,000 records (docs/limits.md#filters has the measurements).
SCAN_POINTS = 20.0  # reading and decoding a record a page would not have read without a filter
CONDITION_POINTS = 1.0  # running one condition on it
IN_VALUE_POINTS = 0.005  # and one `in` value


def page_filter_cost(size: FilterSize, records: int) -> int:
    """A page's filter of `size` over `records` records; 0 without a condition."""
    if size.conditions == 0:
        return 0
    per_thousand = SCAN_POINTS + _running(size)
    return math.ceil(records * per_thousand / 1000)


def stream_filter_cost(size: FilterSize, records: int) -> int:
    """A subscription's filter of `size` over `records` records of its live feed."""
    return math.ceil(records * _running(size) / 1000)


def _running(size: FilterSize) -> float:
    return size.conditions * CONDITION_POINTS + size.in_values * IN_VALUE_POINTS


def write_cost(messages: int, headers: int, *, batch: bool) -> int:
    """A write of `messages` records carrying `headers` headers between them."""
    return MUTATION_WEIGHT + (messages if batch else 0) + -(-headers // WRITTEN_HEADERS_PER_POINT)


def stream_costs(size: FilterSize, records: int, max_headers: int) -> tuple[int, int]:
    """(opening, per message) of a stream with a filter of `size`."""
    opening = SUBSCRIPTION_OPENING_WEIGHT + stream_filter_cost(size, records)
    return opening, 1 + -(-max_headers // HEADERS_PER_POINT)


def charge(registry: LimitsRegistry, principal: str, requested: int, charged: int) -> None:
    """Refuses a call that costs more than one may (`requested`), else spends `charged` from the
    caller's budget (RATE_LIMITED when it does not hold them)."""
    maximum = registry.settings.max_query_cost
    if requested > maximum:
        raise CostLimitExceeded(
            f"this call costs {requested} points; one call may cost at most {maximum}",
            cost={"requestedQueryCost": requested, "maximumQueryCost": maximum},
        )
    registry.spend(principal, charged)
