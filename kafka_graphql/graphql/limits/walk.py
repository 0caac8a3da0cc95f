"""Walking an operation's fields for the cost model (cost.py): the requested cost over the
fields collected from the document (here), the actual cost over the same fields and the data
that came back (actual.py), the costs kept with a cached document (memo.py).

The requested cost of a selection (its type, the selection sets merged in it, the size it sits
in) is computed once and reused wherever the same selection recurs, as it does wherever a
fragment is spread: the walk is linear in the document, not in the query written out, while the
cost is still the written-out query's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphql import (
    DocumentNode,
    GraphQLCompositeType,
    GraphQLObjectType,
    OperationDefinitionNode,
    OperationType,
    get_named_type,
    get_nullable_type,
    is_abstract_type,
    is_composite_type,
    is_list_type,
)

from kafka_graphql.core.limits.batch import batch_refusal
from kafka_graphql.graphql.limits.actual import ActualCost
from kafka_graphql.graphql.limits.fields import (
    CollectedField,
    CostingError,
    FieldCollector,
    FragmentCycle,
    Selection,
)
from kafka_graphql.graphql.limits.header_cost import (
    list_items,
    written_header_points,
)
from kafka_graphql.graphql.limits.memo import VariableReads
from kafka_graphql.graphql.limits.shape import find_cycle, fragments_of, spreads_in
from kafka_graphql.graphql.limits.values import (
    ABSENT,
    argument_default,
    argument_value,
    operation_variables,
)

if TYPE_CHECKING:
    from kafka_graphql.graphql.limits.cost import CostModel

SLICING_ARGUMENTS = ("first", "limit")
# Root lists as long as something of the cluster's, which no argument sizes: priced as a page.
CLUSTER_LISTS = ("topics",)
LENGTH_ARGUMENTS = ("messages",)


@dataclass(frozen=True, slots=True)
class OperationCost:
    operation: OperationType
    requested: int
    # A subscription's two parts: what opening it costs, and what each message delivered costs.
    opening: int = 0
    per_message: int = 0


def find_operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    for operation in operations:
        if name is None or (operation.name is not None and operation.name.value == name):
            return operation
    raise CostingError(f"the document has no operation {name!r}")


class Costing:
    """One operation of one document, with its variables, costed by one model."""

    def __init__(
        self,
        model: CostModel,
        document: DocumentNode,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
    ) -> None:
        self.model = model
        self._operation = find_operation(document, operation_name)
        self.variables = VariableReads(operation_variables(self._operation, variables))
        fragments = fragments_of(document)
        cycle = find_cycle(fragments, list(spreads_in(self._operation.selection_set)))
        if cycle is not None:
            raise FragmentCycle(cycle)
        self.collector = FieldCollector(model.schema, fragments, self.variables)
        # The requested cost of each selection met: (type, its selection sets, its size).
        self._costs: dict[tuple[str, tuple[int, ...], int | None], int] = {}
        root = {
            OperationType.QUERY: model.schema.query_type,
            OperationType.MUTATION: model.schema.mutation_type,
            OperationType.SUBSCRIPTION: model.schema.subscription_type,
        }[self._operation.operation]
        if root is None:
            raise CostingError(f"the schema has no {self._operation.operation.value} type")
        self._root = root

    def _root_fields(self) -> list[CollectedField]:
        return self.collector.collect(self._root, [Selection(self._operation.selection_set)])

    def requested(self) -> OperationCost:
        kind = self._operation.operation
        fields = self._root_fields()
        if kind is OperationType.SUBSCRIPTION:
            # A stream is a list in time: its weight opens it, then each message is one item.
            opening = per_message = 0
            for field in fields:
                opening += self.weight(self._root, field)
                opening += self.model.filter_cost(field, self.variables, stream=True)
                named = get_named_type(field.definition.type)
                if is_composite_type(named):
                    per_message += 1 + self._selection(named, field.selections, None)
            return OperationCost(kind, opening + per_message, opening, per_message)
        return OperationCost(kind, self._fields_cost(self._root, fields, None))

    def weight(self, parent: GraphQLObjectType, field: CollectedField) -> int:
        weight = self.model.weight(parent.name, field.name, field.definition)
        if parent is self.model.schema.mutation_type:
            model = self.model
            weight += written_header_points(
                field, self.variables, model.max_headers, model.max_batch_size
            )
        return weight

    def _selection(
        self,
        named: GraphQLCompositeType,
        selections: tuple[Selection, ...],
        child_size: int | None,
    ) -> int:
        key = (named.name, tuple(id(s.node) for s in selections), child_size)
        known = self._costs.get(key)
        if known is None:
            known = self._costs[key] = max(
                (
                    self._fields_cost(t, self.collector.collect(t, selections), child_size)
                    for t in self.object_types(named)
                ),
                default=0,
            )
        return known

    def _fields_cost(
        self, parent: GraphQLObjectType, fields: list[CollectedField], child_size: int | None
    ) -> int:
        return sum(self._field_cost(parent, f, child_size) for f in fields)

    def _field_cost(
        self, parent: GraphQLObjectType, field: CollectedField, parent_size: int | None
    ) -> int:
        weight = self.weight(parent, field) + self.model.filter_cost(field, self.variables)
        named = get_named_type(field.definition.type)
        if not is_composite_type(named):
            return weight
        size = self.size(field)
        if is_list_type(get_nullable_type(field.definition.type)):
            items = size if size is not None else parent_size
            if items is None and self.is_cluster_list(parent, field):
                items = self.model.max_page_size
            if items is None:
                items = list_items(named, None, self.model.max_headers)
            return weight + items * (1 + self._selection(named, field.selections, None))
        return weight + self._selection(named, field.selections, size)

    def is_cluster_list(self, parent: GraphQLObjectType, field: CollectedField) -> bool:
        """`Query.topics`: as long as the cluster's list of topics (thousands, and a document may
        alias it `limits.max_aliases` times), so priced as a page of `limits.max_page_size`, and
        charged as what came back."""
        return parent is self.model.schema.query_type and field.name in CLUSTER_LISTS

    def size(self, field: CollectedField) -> int | None:
        arguments = field.definition.args
        for name in SLICING_ARGUMENTS:
            if name in arguments:
                value = argument_value(field.node.arguments, name, self.variables)
                if value is ABSENT or value is None:
                    value = argument_default(arguments[name])  # the resolvers' value for null too
                return _clamp(value, self.model.max_page_size)
        for name in LENGTH_ARGUMENTS:
            if name in arguments and is_list_type(get_nullable_type(arguments[name].type)):
                value = argument_value(field.node.arguments, name, self.variables)
                if value is ABSENT or value is None:
                    return 0
                # A single value given for a list is coerced to a list of one.
                length = len(value) if isinstance(value, list) else 1
                if length > self.model.max_batch_size:
                    raise batch_refusal(length, self.model.max_batch_size)
                return length
        return None

    def object_types(self, named: GraphQLCompositeType) -> list[GraphQLObjectType]:
        if is_abstract_type(named):
            return list(self.model.schema.get_possible_types(named))
        assert isinstance(named, GraphQLObjectType)
        return [named]

    def actual(self, data: Mapping[str, Any] | None) -> int:
        """The actual cost: the same walk over the data that came back (actual.py)."""
        if data is None:
            return 0
        return ActualCost(self).of(self._root, self._root_fields(), data)


def _clamp(value: Any, maximum: int) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return maximum  # refused by execution; counted as the largest it could be
    return max(0, min(value, maximum))
