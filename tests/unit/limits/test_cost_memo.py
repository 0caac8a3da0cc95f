"""Costs kept with a cached document (limits/memo.py, CostMemo): for every document and set of
variables, the kept answer is the one a fresh walk gives, whichever variables came first."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from graphql import parse

from kafka_graphql.graphql.limits import walk as walk_module
from kafka_graphql.graphql.limits.cost import CostModel
from kafka_graphql.graphql.limits.memo import CostMemo
from tests.unit.limits.test_cost_model import GENERIC, LIBRARY

CORPUS: list[tuple[CostModel, str, list[dict[str, Any]]]] = [
    # A filter's cost is read from the whole variable, not its shape
    # (graphql/limits/filter_cost.py): filters of one shape and different sizes cost differently.
    (
        GENERIC,
        'query($f: MessageFilter, $v: [JSON!]) { a: messages(topic: "t", filter: $f) '
        '{ hasMore } b: messages(topic: "t", filter: {value: [{path: "x", in: $v}]}) '
        "{ hasMore } }",
        [
            {"f": {"key": "k"}, "v": [1]},
            {"f": {"key": "k", "keyPrefix": "k"}, "v": [1]},
            {"f": {"value": [{"path": "a", "in": list(range(99))}]}, "v": list(range(100))},
            {"f": {"value": [{"path": "a", "eq": 1, "ne": 2}]}, "v": [1, 2]},
            {"f": None, "v": [1]},
            {"f": {"key": "k"}, "v": [1]},
        ],
    ),
    (LIBRARY, "{ authors { name } }", [{}]),
    (
        LIBRARY,
        "query($n: Int, $m: Int = 3) { authors(first: $n) { books(first: $m) { title } } }",
        [{}, {"n": 1}, {"n": 1, "m": 1}, {"n": 50}, {"n": None}, {"n": 1.0}, {"n": True}],
    ),
    (
        LIBRARY,
        """query($a: Boolean!, $b: Boolean!, $n: Int) {
          authors(first: 2) { ...Books @include(if: $a) name @skip(if: $b) }
          pets(first: $n) { ... on Dog { owner { friends { name } } } __typename }
        }
        fragment Books on Author { books(first: $n) { chapters { title } } }""",
        [
            {"a": a, "b": b, "n": n}
            for a, b, n in itertools.product([True, False, 1], [True, False], [None, 1, 7, 200])
        ],
    ),
    (
        GENERIC,
        "mutation($t: String!, $m: [MessageInput!]!) { produceBatch(topic: $t, messages: $m) "
        "{ offset } }",
        [{"t": "a", "m": [{"value": 1}] * k} for k in (1, 2, 100, 1)] + [{"t": "b", "m": {}}],
    ),
    (
        GENERIC,
        "mutation($t: String!, $v: JSON!) { produce(topic: $t, value: $v) { offset } }",
        [{"t": "a", "v": i} for i in range(3)],
    ),
    (
        GENERIC,
        "query($t: String!, $n: Int) { messages(topic: $t, limit: $n) { messages { offset } } }",
        [{"t": "a", "n": n} for n in (None, 1, 2, 1, 500, "x")],
    ),
]


@pytest.mark.parametrize(("model", "query", "variable_sets"), CORPUS)
def test_a_kept_cost_is_the_walk_s_cost(
    model: CostModel, query: str, variable_sets: list[dict[str, Any]]
) -> None:
    document = parse(query)
    for order in (variable_sets, variable_sets[::-1]):
        memo = CostMemo()
        for variables in order * 2:
            fresh = model.operation_cost(document, variables)
            assert model.operation_cost(document, variables, memo=memo) == fresh, variables


def test_variables_of_the_same_shape_are_not_walked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    walks = 0
    requested = walk_module.Costing.requested

    def counted(self: walk_module.Costing) -> Any:
        nonlocal walks
        walks += 1
        return requested(self)

    monkeypatch.setattr(walk_module.Costing, "requested", counted)
    document = parse(CORPUS[-2][1])
    memo = CostMemo()
    for i in range(5):
        GENERIC.operation_cost(document, {"t": f"topic-{i}", "v": {"i": i}}, memo=memo)
    assert walks == 1  # neither the topic nor the value is read by the walk
    query, memo = parse(CORPUS[-1][1]), CostMemo()
    for n in (1, 2, 1, 2):
        GENERIC.operation_cost(query, {"t": "a", "n": n}, memo=memo)
    assert walks == 3
