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

The actual cost walks the same fields over the data that came back: a short page costs what it
returned, a null costs nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLCompositeType,
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    get_named_type,
    get_nullable_type,
    is_abstract_type,
    is_composite_type,
    is_list_type,
)

from kafka_graphql.limits.fields import (
    CollectedField,
    CostingError,
    FieldCollector,
    Selection,
)
from kafka_graphql.limits.values import (
    ABSENT,
    argument_default,
    argument_value,
    operation_variables,
)

SLICING_ARGUMENTS = ("first", "limit")
LENGTH_ARGUMENTS = ("messages",)
MUTATION_WEIGHT = 10
SUBSCRIPTION_OPENING_WEIGHT = 10


class UnknownWeight(ValueError):
    """A configured weight names no field of the schema served."""


@dataclass(frozen=True, slots=True)
class OperationCost:
    operation: OperationType
    requested: int
    # A subscription's two parts: what opening it costs, and what each message delivered costs.
    opening: int = 0
    per_message: int = 0


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
    ) -> None:
        self.schema = schema
        self.max_page_size = max_page_size
        self.max_batch_size = max_batch_size
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
    ) -> OperationCost:
        """The requested cost. Raises CostingError when the operation cannot be costed."""
        return _Costing(self, document, variables, operation_name).requested()

    def actual_cost(
        self,
        document: DocumentNode,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
        data: Mapping[str, Any] | None,
    ) -> int:
        """What the data that came back costs, by the same rules (never more than requested)."""
        return _Costing(self, document, variables, operation_name).actual(data)


def find_operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    for operation in operations:
        if name is None or (operation.name is not None and operation.name.value == name):
            return operation
    raise CostingError(f"the document has no operation {name!r}")


class _Costing:
    def __init__(
        self,
        model: CostModel,
        document: DocumentNode,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
    ) -> None:
        self._model = model
        self._operation = find_operation(document, operation_name)
        self._variables = operation_variables(self._operation, variables)
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self._fields = FieldCollector(model.schema, fragments, self._variables)
        root = {
            OperationType.QUERY: model.schema.query_type,
            OperationType.MUTATION: model.schema.mutation_type,
            OperationType.SUBSCRIPTION: model.schema.subscription_type,
        }[self._operation.operation]
        if root is None:
            raise CostingError(f"the schema has no {self._operation.operation.value} type")
        self._root = root

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
                named = get_named_type(field.definition.type)
                if is_composite_type(named):
                    per_message += 1 + self._selection(named, field.selections, None)
            return OperationCost(kind, opening + per_message, opening, per_message)
        return OperationCost(kind, self._fields_cost(self._root, fields, None))

    def _weight(self, parent: GraphQLObjectType, field: CollectedField) -> int:
        return self._model.weight(parent.name, field.name, field.definition)

    def _selection(
        self,
        named: GraphQLCompositeType,
        selections: Iterable[Selection],
        child_size: int | None,
    ) -> int:
        return max(
            (
                self._fields_cost(t, self._fields.collect(t, selections), child_size)
                for t in self._object_types(named)
            ),
            default=0,
        )

    def _fields_cost(
        self, parent: GraphQLObjectType, fields: list[CollectedField], child_size: int | None
    ) -> int:
        return sum(self._field_cost(parent, f, child_size) for f in fields)

    def _field_cost(
        self, parent: GraphQLObjectType, field: CollectedField, parent_size: int | None
    ) -> int:
        weight = self._weight(parent, field)
        named = get_named_type(field.definition.type)
        if not is_composite_type(named):
            return weight
        size = self._size(field)
        if is_list_type(get_nullable_type(field.definition.type)):
            items = size if size is not None else parent_size if parent_size is not None else 1
            return weight + items * (1 + self._selection(named, field.selections, None))
        return weight + self._selection(named, field.selections, size)

    def _size(self, field: CollectedField) -> int | None:
        arguments = field.definition.args
        for name in SLICING_ARGUMENTS:
            if name in arguments:
                value = argument_value(field.node.arguments, name, self._variables)
                if value is ABSENT or value is None:
                    value = argument_default(arguments[name])  # the resolvers' value for null too
                return _clamp(value, self._model.max_page_size)
        for name in LENGTH_ARGUMENTS:
            if name in arguments and is_list_type(get_nullable_type(arguments[name].type)):
                value = argument_value(field.node.arguments, name, self._variables)
                if value is ABSENT or value is None:
                    return 0
                # A single value given for a list is coerced to a list of one.
                length = len(value) if isinstance(value, list) else 1
                return min(length, self._model.max_batch_size)
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
        return sum(self._field_actual(parent, f, data.get(f.key), child_size) for f in fields)

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
        items = [
            1 + self._selection_actual(named, field.selections, item, None)
            for item in value
            if item is not None
        ]
        if size is None and parent_size is None:
            # Requested as one item: charged as its most expensive one, never more.
            return weight + max(items, default=0)
        return weight + sum(items)

    def _selection_actual(
        self,
        named: GraphQLCompositeType,
        selections: Iterable[Selection],
        value: Any,
        child_size: int | None,
    ) -> int:
        if not isinstance(value, Mapping):
            return 0
        return max(
            (
                self._fields_actual(t, self._fields.collect(t, selections), value, child_size)
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
