"""A document's shape as if every fragment spread were written out, measured without writing it
out: each fragment is measured once, and a spread adds its fragment's measure (a multiplicity),
so the work is linear in the document however its spreads multiply.

Three measures, each the one a structural cap reads (graphql/limits/structure.py):

- fields: every field of the document written out (`limits.max_expanded_fields`);
- aliases: aliased fields of its operations written out (`limits.max_aliases`);
- depth: per operation, the deepest selection counted in enclosing fields, as Strawberry's
  QueryDepthLimiter counts it (`limits.max_query_depth`): the subtree of an introspection field
  (`__schema`, `__type`) does not count; and the same with those subtrees counted (bounded too:
  introspection's `ofType` chains may otherwise nest as deep as the parser allows).

A spread that closes a cycle, or names no fragment, adds nothing: graphql-core's rules refuse
such documents, and a measure only has to terminate on them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)


@dataclass(frozen=True, slots=True)
class Measure:
    fields: int
    aliases: int
    # The deepest selection's level, counted in enclosing fields (0: at the top); -1: none.
    depth: int
    # The same, introspection fields' selections included.
    full_depth: int


EMPTY = Measure(0, 0, -1, -1)


@dataclass(frozen=True, slots=True)
class DocumentShape:
    # Every field written out: the operations', and those of fragments that nothing spreads
    # (refused as unused, but walked by validation before that).
    fields: int
    # Aliases of the operations written out (Strawberry's MaxAliasesLimiter counts those).
    aliases: int
    # Per operation, in document order: the operation, and its measure.
    operations: tuple[tuple[OperationDefinitionNode, Measure], ...]


def fragments_of(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def measure(document: DocumentNode, max_fields: int) -> DocumentShape:
    """The document's shape; as soon as more than `max_fields` fields are found, a shape with
    that many fields and nothing else (the numbers stay small, the work stops)."""
    fragments = fragments_of(document)
    measured: dict[str, Measure] = {}
    for name in spread_order(fragments):
        own = measured[name] = _measure(fragments[name].selection_set, measured)
        if own.fields > max_fields:
            return DocumentShape(own.fields, 0, ())
    unspread = _unspread(document, fragments)
    fields = aliases = 0
    operations = []
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            own = _measure(definition.selection_set, measured)
            fields += own.fields
            aliases += own.aliases
            operations.append((definition, own))
        elif isinstance(definition, FragmentDefinitionNode) and definition.name.value in unspread:
            fields += measured[definition.name.value].fields
        if fields > max_fields:
            return DocumentShape(fields, 0, ())
    return DocumentShape(fields, aliases, tuple(operations))


def roots(
    document: DocumentNode, fragments: dict[str, FragmentDefinitionNode]
) -> list[SelectionSetNode]:
    """The selection sets validation walks from: the operations', and those of the fragments
    that nothing spreads (refused as unused, but walked by the other rules before that)."""
    unspread = _unspread(document, fragments)
    return [
        d.selection_set
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
        or (isinstance(d, FragmentDefinitionNode) and d.name.value in unspread)
    ]


def _unspread(document: DocumentNode, fragments: dict[str, FragmentDefinitionNode]) -> set[str]:
    spread: set[str] = set()
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode):
            spread.update(spreads_in(definition.selection_set))
    return set(fragments) - spread


def spreads_in(selection_set: SelectionSetNode) -> Iterator[str]:
    """The fragment names spread anywhere in `selection_set` (not inside those fragments)."""
    stack = [selection_set]
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                yield selection.name.value
            elif selection.selection_set is not None:  # type: ignore[attr-defined]
                stack.append(selection.selection_set)  # type: ignore[attr-defined]


def spread_order(fragments: dict[str, FragmentDefinitionNode]) -> list[str]:
    """Every fragment after the fragments it spreads (a spread closing a cycle aside), found
    with a stack rather than recursion: a chain of spreads may be as long as the document."""
    order: list[str] = []
    _depth_first(_spread_graph(fragments), list(fragments), order.append)
    return order


def find_cycle(fragments: dict[str, FragmentDefinitionNode], roots: list[str]) -> str | None:
    """A fragment that spreads itself, directly or through others, among those reachable from
    `roots` (None when there is none)."""
    return _depth_first(_spread_graph(fragments), roots, lambda _: None)


def _spread_graph(fragments: dict[str, FragmentDefinitionNode]) -> dict[str, list[str]]:
    return {
        name: list(dict.fromkeys(spreads_in(fragment.selection_set)))
        for name, fragment in fragments.items()
    }


def _depth_first(
    spreads: dict[str, list[str]], roots: list[str], finished: Callable[[str], None]
) -> str | None:
    """Calls `finished` with each fragment reachable from `roots` once every fragment it
    spreads is finished; answers the first fragment found spreading itself (the walk goes on
    past it), or None."""
    cycle: str | None = None
    done: set[str] = set()
    for root in roots:
        if root in done or root not in spreads:
            continue
        path = [(root, iter(spreads[root]))]
        on_path = {root}
        while path:
            name, pending = path[-1]
            for spread in pending:
                if spread in on_path:
                    cycle = cycle or spread
                elif spread in spreads and spread not in done:
                    path.append((spread, iter(spreads[spread])))
                    on_path.add(spread)
                    break
            else:
                path.pop()
                on_path.discard(name)
                done.add(name)
                finished(name)
    return cycle


def _measure(selection_set: SelectionSetNode, measured: dict[str, Measure]) -> Measure:
    return _walk(selection_set, 0, measured)


def _walk(selection_set: SelectionSetNode, level: int, measured: dict[str, Measure]) -> Measure:
    """Recursive over nesting only, which the parser bounds (its MAX_NESTING_DEPTH)."""
    fields = aliases = 0
    depth = full_depth = -1
    for selection in selection_set.selections:
        depth = max(depth, level)
        full_depth = max(full_depth, level)
        if isinstance(selection, FieldNode):
            fields += 1
            aliases += selection.alias is not None
            if selection.selection_set is not None:
                inner = _walk(selection.selection_set, level + 1, measured)
                fields += inner.fields
                aliases += inner.aliases
                full_depth = max(full_depth, inner.full_depth)
                if not selection.name.value.startswith("__"):
                    depth = max(depth, inner.depth)
        elif isinstance(selection, InlineFragmentNode):
            inner = _walk(selection.selection_set, level, measured)
            fields += inner.fields
            aliases += inner.aliases
            depth = max(depth, inner.depth)
            full_depth = max(full_depth, inner.full_depth)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = measured.get(selection.name.value, EMPTY)
            fields += fragment.fields
            aliases += fragment.aliases
            if fragment.depth >= 0:
                depth = max(depth, level + fragment.depth)
            if fragment.full_depth >= 0:
                full_depth = max(full_depth, level + fragment.full_depth)
    return Measure(fields, aliases, depth, full_depth)
