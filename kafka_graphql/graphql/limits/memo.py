"""Costs kept with a cached document (graphql/documents.py): the walk (walk.py) is a function of the
document and of what it reads of the variables, so a cost is kept with the shapes of the
variables it read, and serves any request whose variables have the same shapes there."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TYPE_CHECKING, Any

from kafka_graphql.graphql.limits.header_cost import headers_shape
from kafka_graphql.graphql.limits.values import ABSENT

if TYPE_CHECKING:
    from kafka_graphql.graphql.limits.walk import Costing, OperationCost


def shape(value: Any) -> Hashable:
    """All the walk can tell of a variable's value: a size (`_clamp`), a list's length, or a
    condition (`is True`, `is False`). Two values of one shape cost the same."""
    if value is ABSENT or value is None or isinstance(value, bool | int | float | str):
        return type(value), value  # the type too: 1 == True, but only True is a condition
    if isinstance(value, list):
        return list, len(value), headers_shape(value)
    return (object,)


class VariableReads(dict[str, Any]):
    """The operation's variables, noting the shape of each one the walk reads (values.py reads
    a variable with `get` only)."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        super().__init__(values)
        self.shapes: dict[str, Hashable] = {}

    def get(self, name: str, default: Any = None) -> Any:
        value = super().get(name, default)
        self.shapes.setdefault(name, shape(value))
        return value

    def whole(self, name: str, default: Any = None) -> Any:
        """A variable read whole (a filter, graphql/limits/filter_cost.py): no shape stands for it,
        so no cost that read it is served from the memo."""
        self.shapes[name] = object()  # equal to no shape
        return super().get(name, default)


class CostMemo:
    """The requested costs of one operation of one cached document
    (kafka_graphql/graphql/documents.py).

    The walk is a function of the document and of what it reads of the variables: a cost is kept
    with the shapes of the variables it read, and serves any request whose variables have the
    same shapes there. A few variants are kept (page sizes differ), the oldest dropped first.
    """

    MAX_VARIANTS = 16

    def __init__(self) -> None:
        self._variants: list[tuple[tuple[tuple[str, Hashable], ...], OperationCost]] = []

    def find(self, variables: Mapping[str, Any]) -> OperationCost | None:
        for reads, cost in self._variants:
            if all(shape(variables.get(name, ABSENT)) == seen for name, seen in reads):
                return cost
        return None

    def keep(self, costing: Costing, cost: OperationCost) -> None:
        self._variants.append((tuple(costing.variables.shapes.items()), cost))
        del self._variants[: -self.MAX_VARIANTS]
