"""The fields an operation selects, found in its document before anything runs.

Field-level authorization reads them: every field the operation may select, through named
fragments (also nested, and spread more than once), inline fragments and aliases, counted once
per type and field as the schema defines it. Fragments that only other operations of the document
spread are not counted. `@skip` and `@include` are not evaluated: a field counts whatever the
variables say, which errs on the side of refusing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
)


@dataclass(frozen=True, slots=True)
class Selected:
    type_name: str
    field_name: str
    field: GraphQLField


def selected_fields(
    schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode
) -> Iterator[Selected]:
    """Every field `operation` selects, once each, in document order. A field selected on an
    interface is also reported for each object type that implements it (any of them may
    answer). Meta fields (`__typename`, `__schema`, ...) are left out."""
    root = schema.get_root_type(operation.operation)
    if root is None:
        return
    walk = _Walk(schema, document)
    yield from walk.selections(root, operation.selection_set)


class _Walk:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode) -> None:
        self.schema = schema
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.seen: set[tuple[str, str]] = set()
        self.spread: set[str] = set()

    def selections(
        self, parent: GraphQLNamedType, selection_set: SelectionSetNode
    ) -> Iterator[Selected]:
        # Recursive: validation (QueryDepthLimiter among its rules) bounded the depth, every name
        # resolves and no fragment spreads itself.
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield from self.field(parent, selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                if inner is not None:
                    yield from self.selections(inner, selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                # A fragment's fields are the same wherever it is spread: walk it once.
                if fragment is not None and name not in self.spread:
                    self.spread.add(name)
                    inner = self.schema.get_type(fragment.type_condition.name.value)
                    if inner is not None:
                        yield from self.selections(inner, fragment.selection_set)

    def field(self, parent: GraphQLNamedType, node: FieldNode) -> Iterator[Selected]:
        name = node.name.value
        if name.startswith("__"):
            return
        for owner, field in _definitions(self.schema, parent, name):
            key = (owner.name, name)
            if key not in self.seen:
                self.seen.add(key)
                yield Selected(owner.name, name, field)
            if node.selection_set is not None:
                yield from self.selections(get_named_type(field.type), node.selection_set)


def _definitions(
    schema: GraphQLSchema, parent: GraphQLNamedType, name: str
) -> Iterator[tuple[GraphQLNamedType, GraphQLField]]:
    if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        return  # a union selects only __typename directly
    field = parent.fields.get(name)
    if field is None:
        return
    yield parent, field
    if isinstance(parent, GraphQLInterfaceType):
        for implementation in schema.get_possible_types(parent):
            own = implementation.fields.get(name)
            if own is not None:
                yield implementation, own
