"""Walking an operation's fields for the cost model (cost.py): the requested cost over the
fields collected from the document, the actual cost over the same fields and the data that came
back.

The requested cost of a selection (its type, the selection sets merged in it, the size it sits
in) is computed once and reused wherever the same selection recurs, as it does wherever a
fragment is spread: the walk is linear in the document, not in the query written out, while the
cost is still the written-out query's.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
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
from kafka_graphql.graphql.limits.fields import (
    CollectedField,
    CostingError,
    FieldCollector,
    FragmentCycle,
    Selection,
)
from kafka_graphql.graphql.limits.header_cost import (
    headers_shape,
    list_items,
    written_header_points,
)
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


def shape(value: Any) -> Hashable:
    """All the walk can tell of a variable's value: a size (`_clamp`), a list's length, or a
    condition (`is True`, `is False`). Two values of one shape cost the same."""
    if value is ABSENT or value is None or isinstance(value, bool | int | float | str):
        return type(value), value  # the type too: 1 == True, but only True is a condition
    if isinstance(value, list):
        return list, len(value), headers_shape(value)
    return (object,)


class _Reads(dict[str, Any]):
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
        """A variable read whole (a filter, limits/filter_cost.py): no shape stands for it, so
        no cost that read it is served from the memo."""
        self.shapes[name] = object()  # equal to no shape
        return super().get(name, default)


class CostMemo:
    """The requested costs of one operation of one cached document (kafka_graphql/documents.py).

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


class Costing:
    """One operation of one document, with its variables, costed by one model."""

    def __init__(
        self,
        model: CostModel,
        document: DocumentNode,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
    ) -> None:
        self._model = model
        self._operation = find_operation(document, operation_name)
        self.variables = _Reads(operation_variables(self._operation, variables))
        fragments = fragments_of(document)
        cycle = find_cycle(fragments, list(spreads_in(self._operation.selection_set)))
        if cycle is not None:
            raise FragmentCycle(cycle)
        self._fields = FieldCollector(model.schema, fragments, self.variables)
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
        self._costly_fields: dict[int, list[CollectedField]] = {}
        self._flat: dict[tuple[str, int], bool] = {}

    def _root_fields(self) -> list[CollectedField]:
        return self._fields.collect(self._root, [Selection(self._operation.selection_set)])

    def requested(self) -> OperationCost:
        kind = self._operation.operation
        fields = self._root_fields()
        if kind is OperationType.SUBSCRIPTION:
            # A stream is a list in time: its weight opens it, then each message is one item.
            opening = per_message = 0
            for field in fields:
                opening += self._weight(self._root, field)
                opening += self._model.filter_cost(field, self.variables, stream=True)
                named = get_named_type(field.definition.type)
                if is_composite_type(named):
                    per_message += 1 + self._selection(named, field.selections, None)
            return OperationCost(kind, opening + per_message, opening, per_message)
        return OperationCost(kind, self._fields_cost(self._root, fields, None))

    def _weight(self, parent: GraphQLObjectType, field: CollectedField) -> int:
        weight = self._model.weight(parent.name, field.name, field.definition)
        if parent is self._model.schema.mutation_type:
            model = self._model
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
                    self._fields_cost(t, self._fields.collect(t, selections), child_size)
                    for t in self._object_types(named)
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
        weight = self._weight(parent, field) + self._model.filter_cost(field, self.variables)
        named = get_named_type(field.definition.type)
        if not is_composite_type(named):
            return weight
        size = self._size(field)
        if is_list_type(get_nullable_type(field.definition.type)):
            items = size if size is not None else parent_size
            if items is None and self._is_cluster_list(parent, field):
                items = self._model.max_page_size
            if items is None:
                items = list_items(named, None, self._model.max_headers)
            return weight + items * (1 + self._selection(named, field.selections, None))
        return weight + self._selection(named, field.selections, size)

    def _is_cluster_list(self, parent: GraphQLObjectType, field: CollectedField) -> bool:
        """`Query.topics`: as long as the cluster's list of topics (thousands, and a document may
        alias it `limits.max_aliases` times), so priced as a page of `limits.max_page_size`, and
        charged as what came back."""
        return parent is self._model.schema.query_type and field.name in CLUSTER_LISTS

    def _size(self, field: CollectedField) -> int | None:
        arguments = field.definition.args
        for name in SLICING_ARGUMENTS:
            if name in arguments:
                value = argument_value(field.node.arguments, name, self.variables)
                if value is ABSENT or value is None:
                    value = argument_default(arguments[name])  # the resolvers' value for null too
                return _clamp(value, self._model.max_page_size)
        for name in LENGTH_ARGUMENTS:
            if name in arguments and is_list_type(get_nullable_type(arguments[name].type)):
                value = argument_value(field.node.arguments, name, self.variables)
                if value is ABSENT or value is None:
                    return 0
                # A single value given for a list is coerced to a list of one.
                length = len(value) if isinstance(value, list) else 1
                if length > self._model.max_batch_size:
                    raise batch_refusal(length, self._model.max_batch_size)
                return length
        return None

    def _object_types(self, named: GraphQLCompositeType) -> list[GraphQLObjectType]:
        if is_abstract_type(named):
            return list(self._model.schema.get_possible_types(named))
        assert isinstance(named, GraphQLObjectType)
        return [named]

    # The actual cost: the same walk over the data that came back.

    def actual(self, data: Mapping[str, Any] | None) -> int:
        if data is None:
            return 0
        return self._fields_actual(self._root, self._root_fields(), data, None)

    def _fields_actual(
        self,
        parent: GraphQLObjectType,
        fields: list[CollectedField],
        data: Mapping[str, Any],
        child_size: int | None,
    ) -> int:
        return sum(
            self._field_actual(parent, f, data.get(f.key), child_size)
            for f in self._costly(parent, fields)
        )

    def _costly(
        self, parent: GraphQLObjectType, fields: list[CollectedField]
    ) -> list[CollectedField]:
        """`fields` but those that cost nothing whatever came back: scalars without a weight.
        The actual cost walks every item of every list that came back, and a page of typed
        values is mostly such scalars (40,000 of them: ~100 ms, benchmark P11). Keyed on the
        list's identity: the collector keeps each list for the operation's life."""
        key = id(fields)
        costly = self._costly_fields.get(key)
        if costly is None:
            costly = self._costly_fields[key] = [
                f
                for f in fields
                if is_composite_type(get_named_type(f.definition.type)) or self._weight(parent, f)
            ]
        return costly

    def _field_actual(
        self, parent: GraphQLObjectType, field: CollectedField, value: Any, parent_size: int | None
    ) -> int:
        if value is None:
            return 0  # nothing came back: a null, or an error in its place
        weight = self._weight(parent, field)
        named = get_named_type(field.definition.type)
        if not is_composite_type(named):
            return weight
        size = self._size(field)
        if not isinstance(value, list):
            return weight + self._selection_actual(named, field.selections, value, size)
        if self._is_flat(named, field.selections):
            # Every item costs 1 (its selection holds nothing that costs): no walk per item.
            items = [1] * sum(item is not None for item in value)
        else:
            items = [
                1 + self._selection_actual(named, field.selections, item, None)
                for item in value
                if item is not None
            ]
        if size is None and self._is_cluster_list(parent, field):
            return weight + sum(items)
        if size is None and parent_size is None:
            # Requested as one item (headers: as their points): charged as its most expensive
            # one, never more.
            counted = list_items(named, len(items), self._model.max_headers)
            return weight + counted * max(items, default=0)
        return weight + sum(items)

    def _is_flat(self, named: GraphQLCompositeType, selections: tuple[Selection, ...]) -> bool:
        """Whether no field `selections` select on `named` costs anything, whatever came back."""
        key = (named.name, id(selections))
        flat = self._flat.get(key)
        if flat is None:
            flat = self._flat[key] = all(
                not self._costly(t, self._fields.collect(t, selections, counted=False))
                for t in self._object_types(named)
            )
        return flat

    def _selection_actual(
        self,
        named: GraphQLCompositeType,
        selections: tuple[Selection, ...],
        value: Any,
        child_size: int | None,
    ) -> int:
        if not isinstance(value, Mapping):
            return 0
        return max(
            (
                self._fields_actual(
                    t, self._fields.collect(t, selections, counted=False), value, child_size
                )
                for t in self._object_types(named)
            ),
            default=0,
        )


def _clamp(value: Any, maximum: int) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return maximum  # refused by execution; counted as the largest it could be
    return max(0, min(value, maximum))
