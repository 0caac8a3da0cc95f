"""Which fields an operation would run on an object type, as the GraphQL spec's CollectFields says:
named and inline fragments expanded, fields merged by response key (so an alias is its own field),
`@skip`/`@include` applied with the operation's variables.

Costing walks these fields rather than the document's text, so that no way of writing a query
(fragments, nested fragments, spreads repeated) costs less than the same query written out. The
walk itself stays linear in the document: the same selection sets on the same type are collected
once (and walk.py costs them once), however many times their fragments are spread.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    TypeNameMetaFieldDef,
    is_abstract_type,
    type_from_ast,
)
from graphql.language import SelectionNode

from kafka_graphql.graphql.limits.values import argument_value

# Bounds the work of costing itself: a document of a few thousand tokens can describe a tree far
# larger than that through fragments spread under several aliases at every level.
MAX_COLLECTED_FIELDS = 100_000


class CostingError(Exception):
    """The operation cannot be costed, and so is not run."""


class FragmentCycle(CostingError):
    """A fragment spreads itself, directly or through others (also invalid GraphQL): found
    before the walk, which then never meets one."""

    def __init__(self, name: str) -> None:
        super().__init__(f"fragment {name!r} spreads itself: its cost would have no end")


class TooLarge(CostingError):
    def __init__(self) -> None:
        super().__init__(
            f"the operation expands to more than {MAX_COLLECTED_FIELDS} fields once its "
            "fragments are spread"
        )


@dataclass(frozen=True, slots=True)
class Selection:
    """A selection set to collect fields from."""

    node: SelectionSetNode


@dataclass(frozen=True, slots=True)
class CollectedField:
    """One response key: the field it runs, and every selection set merged under it."""

    key: str
    name: str
    definition: GraphQLField
    node: FieldNode  # the first; validation makes every node's arguments the same
    selections: tuple[Selection, ...]


class FieldCollector:
    """Collects fields for one operation's fragments and (coerced) variables."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self._schema = schema
        self._fragments = fragments
        self._variables = variables  # read, never changed (walk.py notes what is read)
        self._collected = 0
        # The same selections on the same type collect the same fields (the variables are this
        # operation's): the actual cost asks again for every item of a list that came back.
        # Keyed on the nodes' identity; they live as long as the document.
        self._known: dict[tuple[str, tuple[int, ...]], list[CollectedField]] = {}

    def collect(
        self,
        object_type: GraphQLObjectType,
        selections: Iterable[Selection],
        *,
        counted: bool = True,
    ) -> list[CollectedField]:
        """The fields `selections` select on `object_type`. `counted=False` for the actual cost's
        walk over the data that came back, which is as large as that data (a cluster's topics,
        thirty times over with aliases), not as the document: that walk is bounded by what was
        served, and must not fail after it."""
        selections = tuple(selections)
        key = (object_type.name, tuple(id(s.node) for s in selections))
        known = self._known.get(key)
        if known is None:
            known = self._known[key] = self._collect_fields(object_type, selections)
        elif counted:
            # Counted as if collected again: the bound holds the same, whatever is known.
            self._collected += len(known)
            if self._collected > MAX_COLLECTED_FIELDS:
                raise TooLarge
        return known

    def _collect_fields(
        self, object_type: GraphQLObjectType, selections: Iterable[Selection]
    ) -> list[CollectedField]:
        fields: dict[str, list[FieldNode]] = {}
        for selection in selections:
            # A fragment spread twice in one selection set is collected once (the spec's
            # visitedFragments), which also keeps a repeated spread from multiplying the work.
            visited: set[str] = set()
            self._collect(object_type, selection.node, visited, fields)
        collected = []
        for key, nodes in fields.items():
            first = nodes[0]
            definition = self._definition(object_type, first.name.value)
            if definition is None:
                continue  # not on this type: validation refuses it before costing runs
            self._collected += 1
            if self._collected > MAX_COLLECTED_FIELDS:
                raise TooLarge
            collected.append(
                CollectedField(
                    key=key,
                    name=first.name.value,
                    definition=definition,
                    node=first,
                    selections=tuple(
                        Selection(node.selection_set)
                        for node in nodes
                        if node.selection_set is not None
                    ),
                )
            )
        return collected

    def _collect(
        self,
        object_type: GraphQLObjectType,
        selection_set: SelectionSetNode,
        visited: set[str],
        fields: dict[str, list[FieldNode]],
    ) -> None:
        for selection in selection_set.selections:
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                fields.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                if self._applies(selection.type_condition, object_type):
                    self._collect(object_type, selection.selection_set, visited, fields)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in visited:
                    continue
                visited.add(name)
                fragment = self._fragments.get(name)
                if fragment is None or not self._applies(fragment.type_condition, object_type):
                    continue  # an unknown fragment is refused by validation
                self._collect(object_type, fragment.selection_set, visited, fields)

    def _included(self, node: SelectionNode) -> bool:
        """`@skip`/`@include` as execution will apply them. A value that is not a Boolean is
        refused by execution before anything runs; costing counts the field then."""
        for directive in node.directives or ():
            condition = argument_value(directive.arguments, "if", self._variables)
            if directive.name.value == "skip" and condition is True:
                return False
            if directive.name.value == "include" and condition is False:
                return False
        return True

    def _applies(self, condition: Any, object_type: GraphQLObjectType) -> bool:
        if condition is None:
            return True
        conditional = type_from_ast(self._schema, condition)
        if conditional is object_type:
            return True
        if conditional is not None and is_abstract_type(conditional):
            return self._schema.is_sub_type(conditional, object_type)
        return False

    def _definition(self, parent: GraphQLObjectType, name: str) -> GraphQLField | None:
        if name == "__typename":
            return TypeNameMetaFieldDef
        if parent is self._schema.query_type:
            if name == "__schema":
                return SchemaMetaFieldDef
            if name == "__type":
                return TypeMetaFieldDef
        field: GraphQLField | None = parent.fields.get(name)
        return field
