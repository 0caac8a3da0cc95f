"""What filters cost, and the caps on them, as the cost model computes them before anything runs
(docs/limits.md#filters): a pure function of the document, the schema and the variables.

Figures per 1,000 records: 20 to read a record a page would not have read without a filter, 1 per
condition, 0.005 per `in` value; a page is priced at `limits.max_scan_records` (10,000) records,
a subscription's opening at as many records of its live feed (without the 20).
"""

from __future__ import annotations

import tomllib
from typing import Any

import pytest
from graphql import parse

from kafka_graphql.core.errors import BadUserInput
from kafka_graphql.core.filters.bounds import FilterSize
from kafka_graphql.core.typed.records import TypedRecords
from kafka_graphql.core.typed.topic import load_typed_topics
from kafka_graphql.graphql.limits.cost import CostModel
from kafka_graphql.graphql.limits.filter_cost import page_filter_cost, stream_filter_cost
from kafka_graphql.graphql.schema import build_schema
from kafka_graphql.settings import LimitsSettings, settings_from_mapping
from tests.unit.limits.test_cost_model import GENERIC, cost
from tests.unit.typed.helpers import FIXTURES
from tests.unit.typed.test_sdl_snapshots import CASES as SDL_CASES

PAGE = 'query($f: MessageFilter) { messages(topic: "t", filter: $f) { messages { offset } } }'
# The page without a filter: messages 1 + 20 x Message 1.
PLAIN = 1 + 20


@pytest.fixture(scope="module")
async def orders() -> CostModel:
    settings = settings_from_mapping(tomllib.loads(SDL_CASES["order"]), FIXTURES)
    topics = await load_typed_topics(settings.topics, None)
    return build_schema(typed=map(TypedRecords, topics.values())).costs


def refusal(query: str, variables: dict[str, Any] | None = None, model: CostModel = GENERIC) -> Any:
    with pytest.raises(BadUserInput) as refused:
        model.operation_cost(parse(query), variables)
    return refused.value


def test_the_formula() -> None:
    # Over 10,000 records: reading them 200, each condition 10, each `in` value 0.05.
    assert page_filter_cost(FilterSize(1, 0), 10_000) == 200 + 10
    assert page_filter_cost(FilterSize(20, 2000), 10_000) == 200 + 200 + 100
    assert page_filter_cost(FilterSize(3, 0), 10) == 1  # a part of a point is a point
    assert page_filter_cost(FilterSize(0, 0), 10_000) == 0
    # A stream's records are read once for all its subscribers: only the filter's own work.
    assert stream_filter_cost(FilterSize(1, 0), 10_000) == 10
    assert stream_filter_cost(FilterSize(20, 2000), 10_000) == 200 + 100


def test_a_page_pays_for_its_filter_over_the_records_it_may_scan() -> None:
    assert cost(PAGE, {}) == PLAIN
    assert cost(PAGE, {"f": None}) == PLAIN
    assert cost(PAGE, {"f": {}}) == PLAIN  # a filter that sets nothing reads nothing more
    one = {"value": [{"path": "status", "eq": "PAID"}]}
    assert cost(PAGE, {"f": one}) == PLAIN + 200 + 10
    # key 1, keyPrefix 1, two headers 2, a condition of two operators 2, an `in` of 3 values 1.
    five = {
        "key": "k",
        "keyPrefix": "k",
        "headers": [{"key": "a"}, {"key": "b", "value": "x"}],
        "value": [{"path": "total", "gte": 10, "lt": 100}, {"path": "s", "in": ["a", "b", "c"]}],
    }
    assert cost(PAGE, {"f": five}) == PLAIN + 200 + 70 + 1  # 3 `in` values: 0.15, one point


def test_a_filter_written_in_the_document_costs_what_the_variable_costs() -> None:
    literal = """{ messages(topic: "t", filter: {keyPrefix: "eu-", value: [
        {path: "a", in: [1, 2, 3, 4]}, {path: "b", eq: null}]}) { messages { offset } } }"""
    variable = {
        "keyPrefix": "eu-",
        "value": [{"path": "a", "in": [1, 2, 3, 4]}, {"path": "b", "eq": None}],
    }
    assert cost(literal) == cost(PAGE, {"f": variable}) == PLAIN + 200 + 30 + 1
    # A variable inside the literal, and a declared default.
    inner = """query($v: [JSON!]) { messages(topic: "t", filter: {value: [{path: "a", in: $v}]})
        { messages { offset } } }"""
    assert cost(inner, {"v": list(range(100))}) == PLAIN + 200 + 10 + 5
    declared = """query($f: MessageFilter = {key: "k", keyPrefix: "k"}) {
        messages(topic: "t", filter: $f) { messages { offset } } }"""
    assert cost(declared) == PLAIN + 200 + 20
    assert cost(declared, {"f": None}) == PLAIN


def test_aliases_pay_for_each_filter() -> None:
    query = """query($f: MessageFilter) {
        a: messages(topic: "t", filter: $f) { messages { offset } }
        b: messages(topic: "t", filter: $f) { messages { offset } } }"""
    assert cost(query, {"f": {"key": "k"}}) == 2 * (PLAIN + 210)


def test_a_subscription_opening_pays_for_its_filter_over_the_live_feed() -> None:
    query = """subscription($f: MessageFilter) { messages(topic: "t", filter: $f) { offset } }"""
    plain = GENERIC.operation_cost(parse(query), {})
    assert (plain.opening, plain.per_message) == (10, 1)
    filtered = GENERIC.operation_cost(
        parse(query), {"f": {"value": [{"path": "a", "exists": True}] * 20}}
    )
    assert (filtered.opening, filtered.per_message) == (10 + 200, 1)


async def test_a_typed_where_is_priced_the_same_way(orders: CostModel) -> None:
    page = (
        """query($w: OrderWhere) { orders(first: 20, where: $w) { edges { node { offset } } } }"""
    )
    # orders 1 + 20 x (edge 1 + node 1)
    plain = 1 + 20 * 2
    assert cost(page, {}, orders) == plain
    # `or` items 2, an operator in each 2, `not` 1, its `in` 1 with 10 values.
    where = {
        "or": [{"customer": {"name": {"eq": "a"}}}, {"total": {"gte": 10}}],
        "not": {"status": {"in": ["PAID"] * 10}},
    }
    assert cost(page, {"w": where}, orders) == plain + 200 + 60 + 1
    subscription = "subscription($w: OrderWhere) { orders(where: $w) { offset } }"
    opened = orders.operation_cost(parse(subscription), {"w": where})
    assert opened.opening == 10 + 60 + 1


def test_the_caps_are_refused_where_they_are_exceeded() -> None:
    over = {"value": [{"path": "a", "exists": True}] * 21}
    refused = refusal(PAGE, {"f": over})
    assert refused.extensions == {"path": ["filter", "value", 20]}
    assert "at most 20 conditions (limits.max_filter_conditions)" in refused.message
    # Operators count: ten conditions of two operators fill the cap, the key is one more.
    pairs = {"key": "k", "value": [{"path": "a", "gt": 1, "lt": 2}] * 10}
    assert refusal(PAGE, {"f": pairs}).extensions == {"path": ["filter", "value", 9]}
    headers = {"headers": [{"key": str(i)} for i in range(25)]}
    assert refusal(PAGE, {"f": headers}).extensions == {"path": ["filter", "headers", 20]}
    many = {"value": [{"path": "a", "eq": 1}, {"path": "b", "in": list(range(101))}]}
    refused = refusal(PAGE, {"f": many})
    assert refused.extensions == {"path": ["filter", "value", 1, "in"]}
    assert "at most 100 values (limits.max_in_values), not 101" in refused.message
    # Within the caps, the heaviest filter: 20 conditions, 2,000 `in` values.
    assert cost(PAGE, {"f": {"value": [{"path": "b", "in": list(range(100))}] * 20}}) == (
        PLAIN + 200 + 200 + 100
    )


async def test_the_caps_of_a_typed_where(orders: CostModel) -> None:
    page = "query($w: OrderWhere) { orders(where: $w) { edges { cursor } } }"
    over = {"total": {"in": list(range(101))}}
    assert refusal(page, {"w": over}, orders).extensions == {"path": ["where", "total", "in"]}
    nested = {"and": [{}, {"customer": {"name": {"notIn": ["x"] * 101}}}]}
    assert refusal(page, {"w": nested}, orders).extensions == {
        "path": ["where", "and", 1, "customer", "name", "notIn"]
    }
    wide = {"or": [{"quantity": {"gt": i}} for i in range(11)]}
    assert refusal(page, {"w": wide}, orders).extensions == {"path": ["where", "or", 10]}
    deep: dict[str, Any] = {"id": {"eq": "x"}}
    for _ in range(10):
        deep = {"not": deep}
    assert refusal(page, {"w": deep}, orders).extensions == {"path": ["where", *["not"] * 10]}


@pytest.mark.parametrize(
    ("path", "at"),
    [
        ("items.\u00b2", 0),  # superscript two: str.isdigit() accepts it, int() does not
        ("items.\u0663", 0),  # Arabic-Indic three
        ("items.\uff11", 0),  # fullwidth one
        ("items.\u0967", 0),  # Devanagari one
        ("items." + "1" * 5001, 0),  # beyond int()'s 4,300 digits
        ("items.-1", 0),
        ("items..sku", 0),
        ("", 0),
    ],
)
def test_a_bad_value_path_is_refused_before_anything_runs(path: str, at: int) -> None:
    refused = refusal(PAGE, {"f": {"value": [{"path": path, "exists": True}]}})
    assert refused.extensions == {"path": ["filter", "value", at, "path"]}
    literal = '{ messages(topic: "t", filter: {value: [{path: "%s", exists: true}]}) { hasMore } }'
    assert refusal(literal % path).extensions == {"path": ["filter", "value", 0, "path"]}


def test_other_refusals_before_anything_runs() -> None:
    empty = refusal(PAGE, {"f": {"value": [{"path": "a"}]}})
    assert empty.extensions == {"path": ["filter", "value", 0]}
    bound = refusal(PAGE, {"f": {"value": [{"path": "a", "gt": float("inf")}]}})
    assert bound.extensions == {"path": ["filter", "value", 0, "gt"]}


def test_the_caps_are_the_settings() -> None:
    model = build_schema(LimitsSettings(max_filter_conditions=2, max_in_values=3)).costs
    assert cost(PAGE, {"f": {"key": "a", "keyPrefix": "b"}}, model) == PLAIN + 200 + 20
    three = {"key": "a", "keyPrefix": "b", "headers": [{"key": "c"}]}
    assert refusal(PAGE, {"f": three}, model).extensions == {"path": ["filter", "headers", 0]}
    four = {"value": [{"path": "a", "in": [1, 2, 3, 4]}]}
    assert refusal(PAGE, {"f": four}, model).extensions == {"path": ["filter", "value", 0, "in"]}
    # A page scans limits.max_scan_records: the price follows it.
    small = build_schema(LimitsSettings(max_scan_records=1000)).costs
    assert cost(PAGE, {"f": {"key": "a"}}, small) == PLAIN + 20 + 1


def test_values_of_the_wrong_type_are_left_to_coercion() -> None:
    # Refused by variable coercion (BAD_USER_INPUT) before anything runs; costing reads what
    # it can, and counts a single value given for a list as a list of one.
    assert cost(PAGE, {"f": "not an object"}) == PLAIN
    assert cost(PAGE, {"f": {"value": [1, {"path": 5, "in": "x"}]}}) == PLAIN + 200 + 10 + 1
