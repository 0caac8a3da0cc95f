"""The structural caps are measured without writing fragments out (graphql/limits/shape.py,
merges.py), and agree with a naive expansion that does write them out; the caps refuse before any
other rule, and in time linear in the document."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from kafka_graphql.graphql.limits.cost import CostModel
from kafka_graphql.graphql.limits.fields import FragmentCycle
from kafka_graphql.graphql.limits.merges import merge_pairs
from kafka_graphql.graphql.limits.shape import find_cycle, fragments_of, measure, roots
from kafka_graphql.graphql.limits.structure import StructuralLimits
from kafka_graphql.graphql.schema import build_schema
from kafka_graphql.settings import SettingsError, settings_from_mapping
from kafka_graphql.settings.limits import LimitsSettings

NO_CAP = 10**12


def naive_fields(selection_set: SelectionSetNode, fragments: dict[str, Any]) -> int:
    """Every field with every spread written out, by writing them out."""
    count = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            count += 1
            if selection.selection_set is not None:
                count += naive_fields(selection.selection_set, fragments)
        elif isinstance(selection, InlineFragmentNode):
            count += naive_fields(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
            count += naive_fields(fragments[selection.name.value].selection_set, fragments)
    return count


def naive_aliases(selection_set: SelectionSetNode, fragments: dict[str, Any]) -> int:
    count = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            count += selection.alias is not None
            if selection.selection_set is not None:
                count += naive_aliases(selection.selection_set, fragments)
        elif isinstance(selection, InlineFragmentNode):
            count += naive_aliases(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
            count += naive_aliases(fragments[selection.name.value].selection_set, fragments)
    return count


def naive_depth(selection_set: SelectionSetNode, fragments: dict[str, Any], level: int) -> int:
    deepest = -1
    for selection in selection_set.selections:
        deepest = max(deepest, level)
        if isinstance(selection, FieldNode):
            if selection.selection_set is not None and not selection.name.value.startswith("__"):
                deepest = max(deepest, naive_depth(selection.selection_set, fragments, level + 1))
        elif isinstance(selection, InlineFragmentNode):
            deepest = max(deepest, naive_depth(selection.selection_set, fragments, level))
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
            fragment = fragments[selection.name.value]
            deepest = max(deepest, naive_depth(fragment.selection_set, fragments, level))
    return deepest


# Acyclic documents: fragment i spreads only fragments after it, so that writing out ends.
@st.composite
def documents(draw: st.DrawFn) -> str:
    count = draw(st.integers(0, 4))
    names = ["name", "partitions", "__typename"]

    def selection_set(depth: int, after: int) -> str:
        items = []
        for _ in range(draw(st.integers(1, 3))):
            kind = draw(st.sampled_from(["field", "alias", "nested", "inline", "spread"]))
            if kind == "spread" and after < count:
                items.append(f"...F{draw(st.integers(after, count - 1))}")
            elif kind == "inline" and depth < 3:
                items.append(f"... {{ {selection_set(depth + 1, after)} }}")
            elif kind == "nested" and depth < 3:
                alias = draw(st.sampled_from(["", "a: ", "b: "]))
                items.append(f"{alias}x {{ {selection_set(depth + 1, after)} }}")
            elif kind == "alias":
                items.append(f"{draw(st.sampled_from(['a', 'b']))}: {draw(st.sampled_from(names))}")
            else:
                items.append(draw(st.sampled_from(names)))
        return " ".join(items)

    operation = f"{{ {selection_set(0, 0)} }}"
    fragments = [f"fragment F{i} on T {{ {selection_set(0, i + 1)} }}" for i in range(count)]
    return " ".join([operation, *fragments])


@given(documents())
@settings(max_examples=300, deadline=None)
def test_the_measures_equal_a_naive_expansion(text: str) -> None:
    document = parse(text)
    fragments = fragments_of(document)
    shape = measure(document, NO_CAP)
    [(operation, own)] = shape.operations
    reached = _reached(document, fragments)
    unspread = [f for name, f in fragments.items() if name not in reached]
    assert shape.fields == naive_fields(operation.selection_set, fragments) + sum(
        naive_fields(f.selection_set, fragments) for f in unspread
    )
    assert shape.aliases == naive_aliases(operation.selection_set, fragments)
    assert own.depth == naive_depth(operation.selection_set, fragments, 0)


def _reached(document: DocumentNode, fragments: dict[str, FragmentDefinitionNode]) -> set[str]:
    """Fragments spread by some definition (the others are measured on their own)."""
    spread = set()
    for definition in document.definitions:
        assert isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode)
        stack = [definition.selection_set]
        while stack:
            for selection in stack.pop().selections:
                if isinstance(selection, FragmentSpreadNode):
                    spread.add(selection.name.value)
                elif (
                    isinstance(selection, FieldNode | InlineFragmentNode)
                    and selection.selection_set is not None
                ):
                    stack.append(selection.selection_set)
    return spread


def chain(levels: int, spreads: int = 2) -> str:
    fragments = [
        f"fragment F{i} on Topic {{ name {' '.join([f'...F{i + 1}'] * spreads)} }}"
        for i in range(levels)
    ]
    return (
        "{ topics { ...F0 } } " + " ".join(fragments) + f" fragment F{levels} on Topic {{ name }}"
    )


@pytest.mark.parametrize(("levels", "spreads"), [(10, 2), (6, 3), (5, 4)])
def test_a_spread_chain_counts_every_spread_written_out(levels: int, spreads: int) -> None:
    # topics, then F_i = name + spreads x F_(i+1): 1 + (spreads^(levels+1) - 1) / (spreads - 1)
    expected = 1 + (spreads ** (levels + 1) - 1) // (spreads - 1)
    document = parse(chain(levels, spreads))
    assert measure(document, NO_CAP).fields == expected
    fragments = fragments_of(document)
    assert measure(document, NO_CAP).fields == 1 + naive_fields(
        fragments["F0"].selection_set, fragments
    )


def test_an_exponential_chain_is_measured_in_linear_time() -> None:
    # 2^201 fields written out: measured, and refused, without writing them out.
    document = parse(chain(200))
    started = time.monotonic()
    shape = measure(document, 10_000)
    errors = StructuralLimits(LimitsSettings()).check(document)
    assert time.monotonic() - started < 1.0  # generous: it takes about a millisecond
    assert shape.fields > 10_000
    assert [e.message for e in errors] == [
        "the document has more than 10000 fields once its fragment spreads are written out: "
        "at most 10000 are allowed (limits.max_expanded_fields)"
    ]


@pytest.mark.parametrize("cap", [99, 100, 101])
def test_max_expanded_fields_is_exact(cap: int) -> None:
    # topics + 99 names = 100 fields written out.
    text = "{ topics { ...A } } fragment A on Topic { " + " ".join(["...B"] * 33) + " }"
    text += " fragment B on Topic { name name name }"
    document = parse(text)
    assert measure(document, NO_CAP).fields == 100
    errors = StructuralLimits(LimitsSettings(max_expanded_fields=cap)).check(document)
    codes = [e.message.split(":")[0] for e in errors]
    refused = "the document has more than"
    assert (refused in " ".join(codes)) == (cap < 100)


def test_unused_fragments_count_too() -> None:
    document = parse("{ topics { name } } fragment U on Topic { " + "name " * 50 + "}")
    assert measure(document, NO_CAP).fields == 2 + 50


def test_cycles_and_unknown_fragments_end() -> None:
    for text in (
        "{ topics { ...A } } fragment A on Topic { ...A name }",
        "{ topics { ...A } } fragment A on Topic { ...B } fragment B on Topic { ...A name }",
        "{ topics { ...Nope name } }",
    ):
        document = parse(text)
        shape = measure(document, NO_CAP)
        assert shape.fields >= 2
        fragments = fragments_of(document)
        assert merge_pairs(roots(document, fragments), fragments, NO_CAP) >= 0
    assert find_cycle(
        fragments_of(parse("fragment A on T { ...B } fragment B on T { ...A }")), ["A"]
    )


def test_merge_pairs_count_same_named_fields_through_merged_parents() -> None:
    # 3 x topics: 3 pairs; their 3 x 2 names merge into one set of 6: 15 pairs.
    document = parse("{ " + "topics { name name } " * 3 + "}")
    fragments = fragments_of(document)
    assert merge_pairs(roots(document, fragments), fragments, NO_CAP) == 3 + 15


def test_merge_pairs_count_fragments_spread_together() -> None:
    # Four fragments in one selection set: 6 pairs of fragments, and their four `name`s 6 more.
    text = "{ topics { ...A ...B ...C ...D } } " + " ".join(
        f"fragment {f} on Topic {{ name }}" for f in "ABCD"
    )
    document = parse(text)
    fragments = fragments_of(document)
    assert merge_pairs(roots(document, fragments), fragments, NO_CAP) == 6 + 6


def test_a_fragment_spread_twice_in_one_selection_set_merges_once() -> None:
    document = parse("{ topics { ...A ...A ...A } } fragment A on Topic { name partitions { id } }")
    fragments = fragments_of(document)
    assert merge_pairs(roots(document, fragments), fragments, NO_CAP) == 0


async def refusals(text: str, **limits: Any) -> list[str]:
    schema = build_schema(LimitsSettings(**limits))
    result = await schema.execute(text)
    return [
        e.message
        for e in result.errors or ()
        if (e.extensions or {}).get("code") == "GRAPHQL_VALIDATION_FAILED"
    ]


async def test_the_caps_run_before_any_other_rule() -> None:
    # Unknown fields everywhere: graphql-core's rules would name them, but the cap refuses
    # the document first, alone.
    text = "{ topics { ...F0 } } " + " ".join(
        f"fragment F{i} on Topic {{ nope{i} ...F{i + 1} ...F{i + 1} }}" for i in range(20)
    )
    text += " fragment F20 on Topic { nope }"
    assert await refusals(text) == [
        "the document has more than 10000 fields once its fragment spreads are written out: "
        "at most 10000 are allowed (limits.max_expanded_fields)"
    ]


async def test_too_many_merges_are_refused_and_fewer_are_not() -> None:
    # k `name`s under one `topics`: k(k-1)/2 pairs.
    assert await refusals("{ topics { " + "name " * 10 + "} }", max_field_merges=45) == []
    [message] = await refusals("{ topics { " + "name " * 11 + "} }", max_field_merges=45)
    assert "(limits.max_field_merges)" in message
    assert "more than 45 comparisons" in message


async def test_introspection_may_nest_twice_the_depth_and_no_more() -> None:
    def nested(levels: int) -> str:
        return '{ __type(name: "Query") { ' + "ofType { " * levels + "name" + " }" * levels + " } }"

    # __type at 0, ofType at 1..levels, name at levels + 1.
    assert await refusals(nested(19), max_query_depth=10) == []
    assert await refusals(nested(20), max_query_depth=10) == [
        "'anonymous' exceeds maximum introspection depth of 20 (twice limits.max_query_depth)"
    ]


def test_the_cost_walk_costs_a_fragment_once_however_often_it_is_spread() -> None:
    # 2^12 `partitions` lists written out, each costing 1: the walk does not write them out.
    text = "{ topics { ...F0 } } " + " ".join(
        f"fragment F{i} on Topic {{ a{i}: partitions {{ id }} ...F{i + 1} ...F{i + 1} }}"
        for i in range(12)
    )
    text += " fragment F12 on Topic { name }"
    model = CostModel(build_schema()._schema)
    started = time.monotonic()
    cost = model.operation_cost(parse(text), {}).requested
    assert time.monotonic() - started < 1.0  # generous: about a millisecond
    # A spread repeated in one selection set runs once, as in execution: the query written out
    # once per response key costs the same (a page of max_page_size Topics, each 1 + 12 lists
    # of one Partition, 1 each).
    inlined = (
        "{ topics { " + " ".join(f"a{i}: partitions {{ id }}" for i in range(12)) + " name } }"
    )
    assert cost == model.operation_cost(parse(inlined), {}).requested == 200 * (1 + 12)


def test_a_cycle_is_refused_before_costing_walks() -> None:
    model = CostModel(build_schema()._schema)
    with pytest.raises(FragmentCycle, match="spreads itself"):
        model.operation_cost(parse("{ topics { ...A } } fragment A on Topic { name ...A }"), {})


@pytest.mark.parametrize("key", ["max_expanded_fields", "max_field_merges", "max_query_bytes"])
def test_each_cap_is_positive_and_named_when_it_is_not(key: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(f"limits.{key} must be positive")):
        settings_from_mapping({"limits": {key: 0}})
    assert getattr(settings_from_mapping({"limits": {key: 7}}).limits, key) == 7
