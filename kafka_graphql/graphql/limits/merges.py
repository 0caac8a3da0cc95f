"""How much work merging a document's fields asks of validation (`limits.max_field_merges`).

GraphQL merges the fields that share a response name, in a selection set and in the selection
sets of same-named fields merged before it, and validation (graphql-core's
OverlappingFieldsCanBeMergedRule) compares them pairwise: `k` fields under one response name
are k(k-1)/2 comparisons. `{ topics { name ... } ... }`, forty `name`s under forty `topics`,
is 1,600 `name`s in one merged selection set: 1.3 million comparisons from 1,700 tokens. The
rule also compares every two fragments spread into one selection set (200 fragments that only
spread one other: 20,000 comparisons), so those pairs count too.

`merge_pairs` counts those pairs on the response tree (fields grouped by response name level
by level, inline fragments and fragment spreads merged where they stand, a fragment once per
merged selection set as execution collects it), without types: a conservative count of what
the rule compares. Merged selection sets are keyed by the selection sets they merge, so a
fragment spread under many fields is counted from what is known, not walked again.
"""

from __future__ import annotations

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)


class _Pairs:
    def __init__(self, fragments: dict[str, FragmentDefinitionNode], maximum: int) -> None:
        self._fragments = fragments
        self._maximum = maximum
        self._known: dict[tuple[int, ...], int] = {}
        # Merged sets keep their members alive while their ids are keys.
        self._sets: list[tuple[SelectionSetNode, ...]] = []

    def pairs(self, merged: tuple[SelectionSetNode, ...]) -> int:
        """The pairs in `merged` and under it; more than the maximum stops the count (the
        answer is then some number above it)."""
        key = tuple(id(s) for s in merged)
        known = self._known.get(key)
        if known is not None:
            return known
        # A merged set met again inside itself (fragments in a cycle, refused before this runs
        # in the gateway) adds nothing the second time.
        self._known[key] = 0
        self._sets.append(merged)
        by_name: dict[str, list[SelectionSetNode]] = {}
        counts: dict[str, int] = {}
        visited: set[str] = set()
        stack = list(merged)
        while stack:
            for selection in stack.pop().selections:
                if isinstance(selection, FieldNode):
                    name = (selection.alias or selection.name).value
                    counts[name] = counts.get(name, 0) + 1
                    if selection.selection_set is not None:
                        by_name.setdefault(name, []).append(selection.selection_set)
                elif isinstance(selection, InlineFragmentNode):
                    stack.append(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    fragment = self._fragments.get(selection.name.value)
                    if fragment is not None and selection.name.value not in visited:
                        visited.add(selection.name.value)
                        stack.append(fragment.selection_set)
        # The rule also compares every two fragments spread into one selection set.
        total = sum(k * (k - 1) // 2 for k in (*counts.values(), len(visited)))
        for inner in by_name.values():
            if total > self._maximum:
                break
            total += self.pairs(tuple(inner))
        self._known[key] = total
        return total


def merge_pairs(
    roots: list[SelectionSetNode], fragments: dict[str, FragmentDefinitionNode], maximum: int
) -> int:
    """The field pairs validation compares to merge the fields of these selection sets (the
    operations', and those of fragments nothing spreads); once the count passes `maximum` it
    stops, and answers a number above it."""
    counter = _Pairs(fragments, maximum)
    total = 0
    for root in roots:
        total += counter.pairs((root,))
        if total > maximum:
            break
    return total
