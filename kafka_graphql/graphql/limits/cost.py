"""The cost model (docs/limits.md#the-cost-model): a pure function of the document, the schema
(with its weights) and the variables, computed before anything runs.

- A field costs its weight: 1 for a field that returns one object, 0 for a scalar or a list;
  mutations (they write to Kafka) 10; a subscription's weight is its opening cost (10).
- A list costs 1 per object in it, plus each object's selection. Its size is its own size
  argument, or that of the page it sits in (`messages(limit:)` sizes `messages`,
  `orders(first:)` sizes `edges`); a list without one counts as one item.
- Size arguments: `first` and `limit` (or their default), clamped to `limits.max_page_size`
  since a larger one is refused before any read; a `messages` list argument sizes a batch by
  its length (clamped to `limits.max_batch_size`).
- An abstract type (a union of a typed topic) costs its most expensive member.
- A subscription costs its opening cost plus one message's selection.
- A filter argument costs its conditions and `in` values times the records it may look at
  (filter_cost.py); the opening cost of a subscription holds its filter's.
- Headers cost a point per 32 read (as many as a record shows), a point per 4 written
  (header_cost.py).

The actual cost walks the same fields over the data that came back: a short page costs what it
returned, a null costs nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from graphql import (
    DocumentNode,
    GraphQLField,
    GraphQLSchema,
    get_nullable_type,
    is_composite_type,
)

from kafka_graphql.core.limits.call_cost import MUTATION_WEIGHT, SUBSCRIPTION_OPENING_WEIGHT
from kafka_graphql.graphql.limits.fields import CollectedField
from kafka_graphql.graphql.limits.memo import CostMemo
from kafka_graphql.graphql.limits.values import operation_variables
from kafka_graphql.graphql.limits.walk import Costing, OperationCost, find_operation

if TYPE_CHECKING:
    from kafka_graphql.graphql.limits.filter_cost import FilterPricing, VariableReads


class UnknownWeight(ValueError):
    """A configured weight names no field of the schema served."""


def structural_weight(definition: GraphQLField) -> int:
    """A field's weight without configuration: 1 for one object, 0 for a scalar or a list."""
    return int(is_composite_type(get_nullable_type(definition.type)))


class CostModel:
    """Weights and size rules for one schema. `weights` ("Type", "field") -> weight override
    the defaults (mutations 10, subscription opening 10, `rateLimit` 0)."""

    def __init__(
        self,
        schema: GraphQLSchema,
        weights: Mapping[tuple[str, str], int] | None = None,
        *,
        max_page_size: int = 200,
        max_batch_size: int = 500,
        filters: FilterPricing | None = None,
        max_headers: int = 64,
    ) -> None:
        self.schema = schema
        self.max_page_size = max_page_size
        self.max_batch_size = max_batch_size
        self.filters = filters
        # limits.max_headers_per_record: what a record's `headers` list may hold (header_cost.py).
        self.max_headers = max_headers
        self._configured = dict(weights or {})
        self._weights = {**self._default_weights(), **self._configured}

    def _default_weights(self) -> dict[tuple[str, str], int]:
        defaults: dict[tuple[str, str], int] = {}
        for root, weight in (
            (self.schema.mutation_type, MUTATION_WEIGHT),
            (self.schema.subscription_type, SUBSCRIPTION_OPENING_WEIGHT),
        ):
            if root is not None:
                defaults.update({(root.name, name): weight for name in root.fields})
        query = self.schema.query_type
        if query is not None and "rateLimit" in query.fields:
            # Reading one's budget must not spend it.
            defaults[(query.name, "rateLimit")] = 0
        return defaults

    def weight(self, parent: str, name: str, definition: GraphQLField) -> int:
        return self._weights.get((parent, name), structural_weight(definition))

    def filter_cost(
        self, field: CollectedField, variables: VariableReads, *, stream: bool = False
    ) -> int:
        """What the field's filter arguments cost (0 without any): a page's, or a stream's."""
        if self.filters is None or not field.definition.args:
            return 0
        return self.filters.cost(field.definition, field.node, variables, stream)

    def explicit_weights(self) -> Iterable[tuple[str, str, int]]:
        """Every field whose weight is not its structural one (what the SDL shows)."""
        for (parent, name), weight in sorted(self._weights.items()):
            parent_type = self.schema.get_type(parent)
            fields = getattr(parent_type, "fields", {})
            if name in fields and weight != structural_weight(fields[name]):
                yield parent, name, weight

    def check_weights(self) -> None:
        """Raises UnknownWeight for a configured weight that names no field of this schema
        (checked on the schema served: typed topics' fields exist only once it is built)."""
        for parent, name in self._configured:
            if name not in getattr(self.schema.get_type(parent), "fields", {}):
                raise UnknownWeight(
                    f'limits.cost_weights."{parent}.{name}" names no field of the schema'
                )

    def operation_cost(
        self,
        document: DocumentNode,
        variables: Mapping[str, Any] | None,
        operation_name: str | None = None,
        memo: CostMemo | None = None,
    ) -> OperationCost:
        """The requested cost. Raises CostingError when the operation cannot be costed.

        With a `memo` (of this document and operation), a cost it holds for variables of the
        same shapes is answered without walking again, and a new one is kept there."""
        if memo is not None:
            operation = find_operation(document, operation_name)
            known = memo.find(operation_variables(operation, variables))
            if known is not None:
                return known
        costing = Costing(self, document, variables, operation_name)
        cost = costing.requested()
        if memo is not None:
            memo.keep(costing, cost)
        return cost

    def actual_cost(
        self,
        document: DocumentNode,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
        data: Mapping[str, Any] | None,
    ) -> int:
        """What the data that came back costs, by the same rules (never more than requested)."""
        return Costing(self, document, variables, operation_name).actual(data)
