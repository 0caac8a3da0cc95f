"""What the operation gate does with the limits, on the schema alone: refusals before anything
runs, charges, refunds and `extensions.cost` (tests/integration/test_limits_*.py do it over HTTP
against Kafka)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from strawberry.types import ExecutionResult

from kafka_graphql.core.auth.principal import Principal
from kafka_graphql.core.limits.registry import LimitsRegistry
from kafka_graphql.graphql.schema import build_schema
from kafka_graphql.settings import LimitsSettings
from tests.clock import FakeClock

# Introspection runs without Kafka: __schema 1 + types (1 item x __Type 1).
TWO_POINTS = "{ __schema { types { name } } }"


@dataclass
class Caller:
    """The part of the gateway's Context the limits read."""

    limits: LimitsRegistry
    principal: Principal = field(default_factory=lambda: Principal(id="alice"))
    response: None = None


def error_of(result: ExecutionResult) -> dict[str, Any]:
    assert result.errors, result
    (error,) = result.errors
    return {"message": error.message, **(error.extensions or {})}


async def test_an_operation_over_max_query_cost_is_refused_before_it_runs() -> None:
    limits = LimitsSettings(max_query_cost=50)
    schema = build_schema(limits)
    caller = Caller(LimitsRegistry(limits, FakeClock()))
    # Its resolver would need Kafka, which this context does not have: had it run, the answer
    # would be INTERNAL_SERVER_ERROR.
    query = '{ messages(topic: "t", limit: 50) { messages { offset } } }'
    result = await schema.execute(query, context_value=caller)
    assert result.data is None
    refusal = error_of(result)
    assert refusal["code"] == "COST_LIMIT_EXCEEDED"
    assert refusal["cost"] == {"requestedQueryCost": 51, "maximumQueryCost": 50}
    assert "costs 51 points" in refusal["message"]
    assert result.extensions is not None
    assert result.extensions["cost"] == {
        "requestedQueryCost": 51,
        "actualQueryCost": 0,
        "throttleStatus": {
            "maximumAvailable": limits.cost_budget,
            "currentlyAvailable": limits.cost_budget,  # nothing was charged
            "restoreRate": limits.cost_refill_per_s,
        },
    }


async def test_circular_fragments_are_refused_with_a_clear_error() -> None:
    # Validation refuses them first; costing refuses them too, should it ever see one.
    result = await build_schema().execute("query { ...A } fragment A on Query { ...A }")
    assert error_of(result)["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_the_budget_is_charged_refused_and_refilled() -> None:
    clock = FakeClock()
    limits = LimitsSettings(max_query_cost=5, cost_budget=5, cost_refill_per_s=1)
    schema = build_schema(limits)
    caller = Caller(LimitsRegistry(limits, clock))
    available = []
    for _ in range(2):
        result = await schema.execute(TWO_POINTS, context_value=caller)
        assert result.errors is None and result.extensions is not None
        assert result.extensions["cost"]["requestedQueryCost"] == 2
        assert result.extensions["cost"]["actualQueryCost"] == 2
        available.append(result.extensions["cost"]["throttleStatus"]["currentlyAvailable"])
    assert available == [3, 1]
    refused = await schema.execute(TWO_POINTS, context_value=caller)
    refusal = error_of(refused)
    assert (refusal["code"], refusal["retryAfter"]) == ("RATE_LIMITED", 1)
    assert refused.extensions is not None
    assert refused.extensions["cost"]["actualQueryCost"] == 0
    # Reading the budget spends nothing, even when it is empty.
    status = await schema.execute("{ rateLimit { limit cost remaining } }", context_value=caller)
    assert status.data == {"rateLimit": {"limit": 5, "cost": 0, "remaining": 1}}
    clock.advance(1)
    again = await schema.execute(TWO_POINTS, context_value=caller)
    assert again.errors is None
    other = Caller(caller.limits, Principal(id="bob"))
    assert (await schema.execute(TWO_POINTS, context_value=other)).errors is None


async def test_rate_limit_reports_this_operations_cost_and_what_is_left() -> None:
    clock = FakeClock()
    limits = LimitsSettings(cost_budget=100, cost_refill_per_s=10)
    schema = build_schema(limits)
    caller = Caller(LimitsRegistry(limits, clock))
    query = """query($with: Boolean!) { rateLimit { limit cost remaining resetAt }
        ...Types @include(if: $with) } fragment Types on Query { __schema { types { name } } }"""
    result = await schema.execute(query, {"with": True}, context_value=caller)
    assert result.errors is None and result.data is not None
    rate_limit = result.data["rateLimit"]
    assert (rate_limit["limit"], rate_limit["cost"], rate_limit["remaining"]) == (100, 2, 98)
    alone = await schema.execute(query, {"with": False}, context_value=caller)
    assert alone.data is not None
    # The 2 points above are back after 0.2 s; nothing else was charged.
    assert alone.data["rateLimit"]["cost"] == 0


async def test_without_the_gateways_context_only_the_cost_limit_applies() -> None:
    schema = build_schema(LimitsSettings(max_query_cost=1, cost_budget=1))
    result = await schema.execute(TWO_POINTS)
    assert error_of(result)["code"] == "COST_LIMIT_EXCEEDED"
    assert result.extensions == {"cost": {"requestedQueryCost": 2, "actualQueryCost": 0}}
