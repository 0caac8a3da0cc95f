"""The shapes a fuzzed document may be given on top of what hypothesis-graphql writes: the
ones validation must price (fragments spread twice per level, aliases, one field written many
times) and directives."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import graphql
from hypothesis import strategies as st


def _as_is(draw: st.DrawFn, document: graphql.DocumentNode) -> graphql.DocumentNode:
    return document


def _fragment_chain(draw: st.DrawFn, document: graphql.DocumentNode) -> graphql.DocumentNode:
    """The operation's selections in fragment F<n>; each F<i> spreads F<i+1> twice, so the
    document written out holds them 2^n times."""
    (definition,) = document.definitions
    assert isinstance(definition, graphql.OperationDefinitionNode)
    levels = draw(st.integers(1, 24))
    on = graphql.NamedTypeNode(name=graphql.NameNode(value=_root_name(definition.operation)))

    def spread(level: int) -> graphql.FragmentSpreadNode:
        return graphql.FragmentSpreadNode(name=graphql.NameNode(value=f"F{level}"), directives=())

    fragments = [
        graphql.FragmentDefinitionNode(
            name=graphql.NameNode(value=f"F{level}"),
            type_condition=on,
            directives=(),
            selection_set=graphql.SelectionSetNode(
                selections=(spread(level + 1), spread(level + 1))
                if level < levels
                else definition.selection_set.selections
            ),
        )
        for level in range(levels + 1)
    ]
    operation = graphql.OperationDefinitionNode(
        operation=definition.operation,
        variable_definitions=(),
        directives=(),
        selection_set=graphql.SelectionSetNode(selections=(spread(0),)),
    )
    return graphql.DocumentNode(definitions=(operation, *fragments))


def _aliases(draw: st.DrawFn, document: graphql.DocumentNode) -> graphql.DocumentNode:
    """The first root field again and again, under aliases."""
    (definition,) = document.definitions
    assert isinstance(definition, graphql.OperationDefinitionNode)
    first = definition.selection_set.selections[0]
    assert isinstance(first, graphql.FieldNode)
    copies = [
        graphql.FieldNode(
            alias=graphql.NameNode(value=f"a{i}"),
            name=first.name,
            arguments=first.arguments,
            directives=first.directives,
            selection_set=first.selection_set,
        )
        for i in range(draw(st.integers(1, 40)))
    ]
    operation = graphql.OperationDefinitionNode(
        operation=definition.operation,
        variable_definitions=(),
        directives=(),
        selection_set=graphql.SelectionSetNode(
            selections=(*definition.selection_set.selections, *copies)
        ),
    )
    return graphql.DocumentNode(definitions=(operation,))


def _repeated_leaf(draw: st.DrawFn, document: graphql.DocumentNode) -> graphql.DocumentNode:
    """A leaf field written many times in its selection set (what field merging compares
    pairwise)."""
    times = draw(st.integers(2, 1500))

    class Repeat(graphql.Visitor):
        done = False

        def leave_selection_set(
            self, node: graphql.SelectionSetNode, *_: Any
        ) -> graphql.SelectionSetNode | None:
            leaves = [s for s in node.selections if isinstance(s, graphql.FieldNode)]
            leaves = [s for s in leaves if s.selection_set is None]
            if self.done or not leaves:
                return None
            self.done = True
            return graphql.SelectionSetNode(selections=(*node.selections, *[leaves[0]] * times))

    result: graphql.DocumentNode = graphql.visit(document, Repeat())
    return result


def _directives(draw: st.DrawFn, document: graphql.DocumentNode) -> graphql.DocumentNode:
    """@skip/@include (and a directive the schema lacks) on every field."""
    name = draw(st.sampled_from(["skip", "include", "deprecated", "nope"]))
    flag = draw(st.booleans())

    class Direct(graphql.Visitor):
        def leave_field(self, node: graphql.FieldNode, *_: Any) -> graphql.FieldNode:
            argument = graphql.ArgumentNode(
                name=graphql.NameNode(value="if"), value=graphql.BooleanValueNode(value=flag)
            )
            directive = graphql.DirectiveNode(
                name=graphql.NameNode(value=name), arguments=(argument,)
            )
            return graphql.FieldNode(
                alias=node.alias,
                name=node.name,
                arguments=node.arguments,
                directives=(*(node.directives or ()), directive),
                selection_set=node.selection_set,
            )

    result: graphql.DocumentNode = graphql.visit(document, Direct())
    return result


SHAPES: dict[str, Callable[[st.DrawFn, graphql.DocumentNode], graphql.DocumentNode]] = {
    "as_is": _as_is,
    "as_is_again": _as_is,
    "fragment_chain": _fragment_chain,
    "aliases": _aliases,
    "repeated_leaf": _repeated_leaf,
    "directives": _directives,
}


def _root_name(operation: graphql.OperationType) -> str:
    return {
        graphql.OperationType.QUERY: "Query",
        graphql.OperationType.MUTATION: "Mutation",
        graphql.OperationType.SUBSCRIPTION: "Subscription",
    }[operation]
