"""The limits' one entry point, which the operation gate calls: `admit` before an operation runs,
`results` for its response's `extensions.cost`.

Admission prices the operation (cost.py), refuses one over `limits.max_query_cost`, and charges
the rest to the caller's budget (registry.py). After it ran, the part of the charge that the data
did not use is given back, as Shopify does: a page that came back short costs what it returned,
a filter what its page passed over (filter_cost.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from aiohttp import hdrs, web
from graphql import GraphQLError, OperationType
from strawberry.types import ExecutionContext

from kafka_graphql.core.errors import CostLimitExceeded, RateLimited
from kafka_graphql.core.limits.registry import LimitsRegistry
from kafka_graphql.core.telemetry import CURRENT_OPERATION
from kafka_graphql.graphql.limits.cost import CostModel
from kafka_graphql.graphql.limits.fields import CostingError
from kafka_graphql.graphql.limits.filter_cost import open_scans
from kafka_graphql.graphql.limits.memo import CostMemo
from kafka_graphql.graphql.limits.walk import OperationCost
from kafka_graphql.settings.limits import LimitsSettings


@runtime_checkable
class CostedSchema(Protocol):
    """A schema that carries its cost model (the gateway's does)."""

    costs: CostModel


class OperationLimits:
    """The limits of one operation (the gate makes one per operation)."""

    __slots__ = ("_charged", "_cost", "_model", "_scans", "_settings")

    def __init__(self, model: CostModel, settings: LimitsSettings) -> None:
        self._model = model
        self._settings = settings
        self._cost: OperationCost | None = None
        # What its pages' filters actually cost (graphql/limits/filter_cost.py), as they report it.
        self._scans: list[int] = []
        # Who was charged and how much, to give back what the operation did not use.
        self._charged: tuple[LimitsRegistry, str, int] | None = None

    def admit(self, execution: ExecutionContext, memo: CostMemo | None = None) -> None:
        """Raises CostLimitExceeded or RateLimited to refuse the operation before it runs.

        `memo`: the costs of this document's operation the gate keeps with the document."""
        document = execution.graphql_document
        assert document is not None  # the gate admits parsed, validated operations
        maximum = self._settings.max_query_cost
        try:
            cost = self._model.operation_cost(
                document, execution.variables, execution.operation_name, memo
            )
        except CostingError as error:
            raise CostLimitExceeded(
                str(error), cost={"requestedQueryCost": None, "maximumQueryCost": maximum}
            ) from None
        self._cost = cost
        if cost.requested > maximum:
            raise CostLimitExceeded(
                f"this operation costs {cost.requested} points; one operation may cost at most "
                f"{maximum} (ask for smaller pages, or fewer fields or aliases)",
                cost={"requestedQueryCost": cost.requested, "maximumQueryCost": maximum},
            )
        registry, principal = _caller(execution)
        if registry is None:
            return
        if cost.operation is OperationType.SUBSCRIPTION:
            # Opening a stream is charged now, and kept: the stream was opened. Its deliveries
            # are not charged here.
            registry.spend(principal, cost.opening)
            return
        registry.spend(principal, cost.requested)
        self._charged = (registry, principal, cost.requested)
        self._scans = open_scans()

    def results(self, execution: ExecutionContext) -> dict[str, Any]:
        """`{"cost": ...}` for the response's extensions, after the refund of what went unused.

        Called once per response, after the gate made the errors public.
        """
        cost = self._cost
        if cost is not None and cost.operation is OperationType.SUBSCRIPTION:
            return {}  # a stream's events are not responses to a request
        actual = 0
        if self._charged is not None:
            registry, principal, charged = self._charged
            self._charged = None
            actual = min(charged, self._actual(execution) + sum(self._scans))
            registry.refund(principal, charged - actual)
        operation = CURRENT_OPERATION.get()
        if operation is not None:
            operation.cost = actual
        answer: dict[str, Any] = {
            "requestedQueryCost": cost.requested if cost is not None else 0,
            "actualQueryCost": actual,
        }
        caller, principal = _caller(execution)
        if caller is not None:
            status = caller.budget(principal)
            answer["throttleStatus"] = {
                "maximumAvailable": status.maximum,
                "currentlyAvailable": int(status.available),
                "restoreRate": status.restore_rate,
            }
        _too_many_requests(execution)
        return {"cost": answer}

    def _actual(self, execution: ExecutionContext) -> int:
        document = execution.graphql_document
        assert document is not None
        data = getattr(execution.result, "data", None)
        return self._model.actual_cost(
            document, execution.variables, execution.operation_name, data
        )


def _caller(execution: ExecutionContext) -> tuple[LimitsRegistry | None, str]:
    context = execution.context
    registry = getattr(context, "limits", None)
    principal = getattr(context, "principal", None)
    if not isinstance(registry, LimitsRegistry) or principal is None:
        return None, ""  # a schema executed without the gateway's context (unit tests)
    return registry, str(principal.id)


def _too_many_requests(execution: ExecutionContext) -> None:
    context = execution.context
    if getattr(context, "in_batch", False):
        return  # the whole batch is answered at once (`throttle_batch`)
    response = getattr(context, "response", None)
    if isinstance(response, web.Response) and execution.result is not None:
        throttle_http(response, [execution.result])


def throttle_http(response: web.Response, results: Sequence[Any]) -> None:
    """HTTP 429 with Retry-After when rate limits refused the whole request: every operation in
    it (one, or each of a batch) has no data at all and only RATE_LIMITED errors."""
    seconds = 0
    for result in results:
        errors: list[GraphQLError] = list(getattr(result, "errors", None) or ())
        refusals = [(e.extensions or {}) for e in errors]
        if result.data is not None or not refusals:
            return
        if any(r.get("code") != RateLimited.code for r in refusals):
            return
        seconds = max(seconds, *(int(r.get("retryAfter", 1)) for r in refusals))
    if not results:
        return
    response.set_status(429)
    response.headers[hdrs.RETRY_AFTER] = str(seconds)
