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
    SelectionNode,
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
    yield from selections_and_arguments(schema, document, operation)[0]


def selections_and_arguments(
    schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode
) -> tuple[list[Selected], list[tuple[GraphQLField, FieldNode]]]:
    """The fields `operation` selects (as selected_fields), and every field node in it that
    gives arguments, with its definition (argument authorization reads them: field_check.py)."""
    root = schema.get_root_type(operation.operation)
    if root is None:
        return [], []
    walk = _Walk(schema, document)
    selected = list(walk.selections(root, operation.selection_set))
    return selected, walk.with_arguments


class _Walk:
    """Depth first, in document order, with a stack rather than recursion: the walk runs with
    validation, so the document may be as deep, or its fragments as circular, as a caller made
    them (each fragment is walked once, and unknown names are passed over)."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode) -> None:
        self.schema = schema
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.seen: set[tuple[str, str]] = set()
        self.spread: set[str] = set()
        # Each node once (a fragment is walked once, wherever it is spread).
        self.with_arguments: list[tuple[GraphQLField, FieldNode]] = []

    def selections(
        self, root: GraphQLNamedType, selection_set: SelectionSetNode
    ) -> Iterator[Selected]:
        stack: list[tuple[GraphQLNamedType, Iterator[SelectionNode]]] = [
            (root, iter(selection_set.selections))
        ]
        while stack:
            parent, selections = stack[-1]
            selection = next(selections, None)
            if selection is None:
                stack.pop()
                continue
            inner: list[tuple[GraphQLNamedType | None, SelectionSetNode]] = []
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if selection.arguments:
                    # An interface's field and its implementations' take the same arguments.
                    first = next(_definitions(self.schema, parent, name), None)
                    if first is not None:
                        self.with_arguments.append((first[1], selection))
                for owner, field in _definitions(self.schema, parent, name):
                    if (owner.name, name) not in self.seen:
                        self.seen.add((owner.name, name))
                        yield Selected(owner.name, name, field)
                    if selection.selection_set is not None:
                        inner.append((get_named_type(field.type), selection.selection_set))
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                named = self.schema.get_type(condition.name.value) if condition else parent
                inner.append((named, selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                # A fragment's fields are the same wherever it is spread: walk it once.
                if fragment is not None and fragment.name.value not in self.spread:
                    self.spread.add(fragment.name.value)
                    named = self.schema.get_type(fragment.type_condition.name.value)
                    inner.append((named, fragment.selection_set))
            stack.extend(
                (named, iter(nested.selections))
                for named, nested in reversed(inner)
                if named is not None
            )


def _definitions(
    schema: GraphQLSchema, parent: GraphQLNamedType, name: str
) -> Iterator[tuple[GraphQLNamedType, GraphQLField]]:
    if name.startswith("__") or not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        return  # meta fields; a union selects only __typename directly
    field = parent.fields.get(name)
    if field is None:
        return
    yield parent, field
    if isinstance(parent, GraphQLInterfaceType):
        for implementation in schema.get_possible_types(parent):
            own = implementation.fields.get(name)
            if own is not None:
                yield implementation, own
