"""The actual cost of an operation (cost.py): the walk of walk.py over the same fields and the
data that came back. A list is charged for its items, however many were asked for."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from graphql import GraphQLCompositeType, GraphQLObjectType, get_named_type, is_composite_type

from kafka_graphql.graphql.limits.fields import CollectedField, Selection
from kafka_graphql.graphql.limits.header_cost import list_items

if TYPE_CHECKING:
    from kafka_graphql.graphql.limits.walk import Costing


class ActualCost:
    """One operation's actual cost, walked once."""

    def __init__(self, costing: Costing) -> None:
        self._costing = costing
        self._costly_fields: dict[int, list[CollectedField]] = {}
        self._flat: dict[tuple[str, int], bool] = {}

    def of(
        self, root: GraphQLObjectType, fields: list[CollectedField], data: Mapping[str, Any]
    ) -> int:
        return self._fields_actual(root, fields, data, None)

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
            weight = self._costing.weight
            costly = self._costly_fields[key] = [
                f
                for f in fields
                if is_composite_type(get_named_type(f.definition.type)) or weight(parent, f)
            ]
        return costly

    def _field_actual(
        self, parent: GraphQLObjectType, field: CollectedField, value: Any, parent_size: int | None
    ) -> int:
        if value is None:
            return 0  # nothing came back: a null, or an error in its place
        costing = self._costing
        weight = costing.weight(parent, field)
        named = get_named_type(field.definition.type)
        if not is_composite_type(named):
            return weight
        size = costing.size(field)
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
        if size is None and costing.is_cluster_list(parent, field):
            return weight + sum(items)
        if size is None and parent_size is None:
            # Requested as one item (headers: as their points): charged as its most expensive
            # one, never more.
            counted = list_items(named, len(items), costing.model.max_headers)
            return weight + counted * max(items, default=0)
        return weight + sum(items)

    def _is_flat(self, named: GraphQLCompositeType, selections: tuple[Selection, ...]) -> bool:
        """Whether no field `selections` select on `named` costs anything, whatever came back."""
        key = (named.name, id(selections))
        flat = self._flat.get(key)
        if flat is None:
            collect = self._costing.collector.collect
            flat = self._flat[key] = all(
                not self._costly(t, collect(t, selections, counted=False))
                for t in self._costing.object_types(named)
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
        collect = self._costing.collector.collect
        return max(
            (
                self._fields_actual(t, collect(t, selections, counted=False), value, child_size)
                for t in self._costing.object_types(named)
            ),
            default=0,
        )
