"""The cost model against hand-computed figures (docs/limits.md#the-cost-model): a pure function
of the document, the schema and the variables, so no server is needed.

Figures are worked out in the comments: `w` a field's weight, `n` a list's size.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

import graphql
import pytest
from graphql import parse

from kafka_graphql.core.typed.records import TypedRecords
from kafka_graphql.core.typed.topic import load_typed_topics
from kafka_graphql.graphql.limits import fields as fields_module
from kafka_graphql.graphql.limits.cost import CostModel, UnknownWeight
from kafka_graphql.graphql.limits.fields import FragmentCycle, TooLarge
from kafka_graphql.graphql.schema import build_schema
from kafka_graphql.settings import LimitsSettings, settings_from_mapping
from tests.unit.typed.helpers import FIXTURES
from tests.unit.typed.test_sdl_snapshots import CASES as SDL_CASES

GENERIC = build_schema().costs


def cost(query: str, variables: dict[str, Any] | None = None, model: CostModel = GENERIC) -> int:
    return model.operation_cost(parse(query), variables).requested


# A small schema of its own, to show the rules on their own (nesting, abstract types).
LIBRARY = CostModel(
    graphql.build_schema("""
    type Query {
      authors(first: Int = 5): [Author!]!
      pets(first: Int = 5): [Pet!]!
      owner: Person
    }
    type Author { name: String books(first: Int = 2): [Book!]! }
    type Book { title: String chapters: [Chapter!]! }
    type Chapter { title: String }
    union Pet = Dog | Cat
    type Dog { owner: Person }
    type Cat { name: String }
    type Person { name: String friends: [Person!]! }
    """),
    max_page_size=100,
)


@pytest.fixture(scope="module")
async def orders() -> CostModel:
    settings = settings_from_mapping(tomllib.loads(SDL_CASES["order"]), FIXTURES)
    topics = await load_typed_topics(settings.topics, None)
    return build_schema(typed=map(TypedRecords, topics.values())).costs


def test_a_history_page_multiplies_its_messages_by_limit() -> None:
    # messages (w 1) + 50 x (Message 1 + headers: the 64 a record shows, a point per 32, 2 x
    # (Header 1)); scalars 0.
    query = """{ messages(topic: "t", limit: 50) {
        messages { offset value headers { key value } } nextCursor hasMore } }"""
    assert cost(query) == 1 + 50 * (1 + 2)


def test_size_arguments_default_come_from_variables_and_are_clamped() -> None:
    page = "messages { offset }"
    assert cost(f'{{ messages(topic: "t") {{ {page} }} }}') == 1 + 20  # the default, 20
    assert cost(f'{{ messages(topic: "t", limit: null) {{ {page} }} }}') == 1 + 20
    with_variable = f'query($n: Int) {{ messages(topic: "t", limit: $n) {{ {page} }} }}'
    assert cost(with_variable, {"n": 7}) == 1 + 7
    assert cost(with_variable, {}) == 1 + 20  # an unset variable: the argument's default
    declared = f'query($n: Int = 3) {{ messages(topic: "t", limit: $n) {{ {page} }} }}'
    assert cost(declared) == 1 + 3
    # Above limits.max_page_size (200) the resolver refuses before reading: counted as 200.
    assert cost(f'{{ messages(topic: "t", limit: 100000) {{ {page} }} }}') == 1 + 200
    assert cost(with_variable, {"n": "many"}) == 1 + 200  # refused by execution, counted high


def test_nested_lists_multiply() -> None:
    # authors: 3 x (Author 1 + books: 4 x (Book 1 + chapters: 1 item x (Chapter 1)))
    query = "{ authors(first: 3) { name books(first: 4) { title chapters { title } } } }"
    assert cost(query, model=LIBRARY) == 3 * (1 + 4 * (1 + 1))
    # Lists without a size argument count as one item: 1 + friends (1 x (1 + 1 x 1)).
    assert cost("{ owner { friends { friends { name } } } }", model=LIBRARY) == 1 + 1 + 1


def test_an_abstract_type_costs_its_most_expensive_member() -> None:
    # pets: 5 x (Pet 1 + max(Dog: owner 1, Cat: 0))
    query = "{ pets { ... on Dog { owner { name } } ... on Cat { name } } }"
    assert cost(query, model=LIBRARY) == 5 * (1 + 1)
    on_interface_fields = "{ pets { __typename } }"
    assert cost(on_interface_fields, model=LIBRARY) == 5


async def test_a_typed_connection_multiplies_its_edges_by_first(orders: CostModel) -> None:
    query = """{ orders(first: 10) {
        edges { cursor node { offset value {
            id customer { name } items { sku }
            payment { ... on OrderPaymentCard { last4 } ... on BankTransfer { iban } } } } }
        pageInfo { hasNextPage endCursor } } }"""
    # value: Order 1 + customer 1 + items (1 item x 1) + payment 1 (either member: 0) = 4
    # edge: Edge 1 + node (OrderMessage 1 + value 4) = 6;  pageInfo: 1, once per page
    assert cost(query, model=orders) == 1 + 10 * 6 + 1


async def test_produce_costs_10_and_a_batch_10_plus_1_per_message(orders: CostModel) -> None:
    assert cost('mutation { produce(topic: "t", value: 1) { offset } }') == 10
    batch = """mutation($m: [MessageInput!]!) {
        produceBatch(topic: "t", messages: $m) { partition offset } }"""
    assert cost(batch, {"m": [{"value": i} for i in range(7)]}) == 10 + 7
    literal = 'mutation { produceBatch(topic: "t", messages: [{value: 1}, {value: 2}]) { offset } }'
    assert cost(literal) == 10 + 2
    typed = """mutation($m: [OrderMessageInput!]!) { produceOrders(messages: $m) { offset } }"""
    assert cost(typed, {"m": [{}, {}, {}]}, orders) == 10 + 3
    assert (
        cost("mutation($v: OrderInput!) { produceOrder(value: $v) { offset } }", {}, orders) == 10
    )
    two = """mutation { a: produce(topic: "t", value: 1) { offset }
        b: produce(topic: "t", value: 2) { offset } }"""
    assert cost(two) == 20


async def test_a_subscription_costs_its_opening_plus_one_message(orders: CostModel) -> None:
    priced = GENERIC.operation_cost(
        parse('subscription { messages(topic: "t") { offset headers { key } } }'), None
    )
    assert (priced.opening, priced.per_message, priced.requested) == (10, 1 + 2, 13)
    typed = orders.operation_cost(parse("subscription { orders { value { id } } }"), None)
    assert (typed.opening, typed.per_message) == (10, 1 + 1)


def test_reading_the_rate_limit_costs_nothing() -> None:
    assert cost("{ rateLimit { limit cost remaining resetAt } __typename }") == 0


def test_aliases_are_fields_of_their_own() -> None:
    one = '{ messages(topic: "t", limit: 10) { messages { offset } } }'
    three = """{ a: messages(topic: "t", limit: 10) { messages { offset } }
        b: messages(topic: "u", limit: 10) { messages { offset } }
        c: messages(topic: "v", limit: 10) { messages { offset } } }"""
    assert cost(three) == 3 * cost(one) == 3 * 11
    # The same response key twice is one field (GraphQL merges it), not two.
    merged = """{ messages(topic: "t", limit: 10) { messages { offset } }
        messages(topic: "t", limit: 10) { messages { key } } }"""
    assert cost(merged) == 11


INLINED = """{ messages(topic: "t", limit: 30) {
    messages { offset headers { key } } nextCursor } topics { name partitions { id } } }"""


@pytest.mark.parametrize(
    "query",
    [
        # Named fragments, nested.
        """query { ...Page topics { ...Topic } }
        fragment Page on Query { messages(topic: "t", limit: 30) { ...Messages nextCursor } }
        fragment Messages on MessagePage { messages { ...Message } }
        fragment Message on Message { offset headers { ...Header } }
        fragment Header on Header { key }
        fragment Topic on Topic { name partitions { id } }""",
        # Inline fragments, with and without a type condition.
        """{ ... on Query { messages(topic: "t", limit: 30) {
            ... { messages { ... on Message { offset headers { key } } } } nextCursor } }
          ... { topics { name ... on Topic { partitions { id } } } } }""",
        # A fragment spread twice, and a field written twice: each runs once.
        """query { ...Page ...Page topics { name partitions { id } name } }
        fragment Page on Query { messages(topic: "t", limit: 30) {
            messages { offset headers { key } } messages { headers { key } } nextCursor } }""",
    ],
)
def test_fragments_cost_what_their_inlined_form_costs(query: str) -> None:
    # messages 1 + 30 x (Message 1 + headers 2) + topics (a page of max_page_size items x
    # (Topic 1 + partitions 1))
    assert cost(INLINED) == 1 + 30 * 3 + 200 * 2
    assert cost(query) == cost(INLINED)


def test_skip_and_include_are_honoured() -> None:
    query = """query($big: Boolean!) {
        small: messages(topic: "t", limit: 1) { messages { offset } }
        big: messages(topic: "t", limit: 100) @include(if: $big) { messages { offset } }
        also: messages(topic: "t", limit: 100) @skip(if: true) { messages { offset } } }"""
    assert cost(query, {"big": False}) == 2
    assert cost(query, {"big": True}) == 2 + 101


def test_circular_fragments_are_refused_not_followed() -> None:
    direct = "query { ...A } fragment A on Query { ...A }"
    through = """query { messages(topic: "t") { ...P } }
        fragment P on MessagePage { messages { ...M } }
        fragment M on Message { headers { key } ...N }
        fragment N on Message { ...M }"""
    for query in (direct, through):
        with pytest.raises(FragmentCycle, match="spreads itself"):
            cost(query)


def test_costing_itself_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fields_module, "MAX_COLLECTED_FIELDS", 10)
    with pytest.raises(TooLarge):
        cost("{ " + " ".join(f"t{i}: topics {{ name }}" for i in range(11)) + " }")


def test_configured_weights_price_fields_and_show_in_the_sdl() -> None:
    limits = LimitsSettings(cost_weights={"Topic.partitions": 5, "Mutation.produce": 25})
    schema = build_schema(limits)
    # topics: a page of max_page_size items x (Topic 1 + partitions: w 5 + 1 item x Partition 1)
    assert cost("{ topics { partitions { id } } }", model=schema.costs) == 200 * (1 + 5 + 1)
    assert cost('mutation { produce(topic: "t", value: 1) { offset } }', model=schema.costs) == 25
    sdl = schema.as_str()
    assert "partitions: [Partition!]! @cost(weight: 5)" in sdl
    assert "ProduceResult! @cost(weight: 25)" in sdl
    # Weights are the schema's own: the default schema is unchanged.
    assert "@cost(weight: 5)" not in build_schema().as_str()


def test_a_weight_for_no_field_is_refused() -> None:
    schema = build_schema(LimitsSettings(cost_weights={"Query.nothing": 3}))
    with pytest.raises(UnknownWeight, match=re.escape('limits.cost_weights."Query.nothing"')):
        schema.costs.check_weights()


def actual(query: str, data: Any, variables: dict[str, Any] | None = None) -> int:
    return GENERIC.actual_cost(parse(query), variables, None, data)


def test_the_cluster_s_topics_are_priced_as_a_page_and_charged_as_what_came_back() -> None:
    """`topics` lists the cluster's (thousands, and a document may alias it 30 times): priced
    as a page of `limits.max_page_size`, charged as the topics that came back."""
    query = "{ a: topics { name } b: topics { name partitions { id } } }"
    assert cost(query) == 200 * 1 + 200 * (1 + 1)
    topics = [{"name": f"t{i}", "partitions": [{"id": 0}, {"id": 1}]} for i in range(3)]
    assert actual(query, {"a": topics, "b": topics}) == 3 + 3 * (1 + 1)


def test_the_actual_cost_is_what_came_back() -> None:
    query = '{ messages(topic: "t", limit: 50) { messages { offset headers { key } } } }'
    messages = [{"offset": 1, "headers": []}, {"offset": 2, "headers": [{"key": "a"}] * 3}]
    # A short page: 2 messages, not 50. A list without a size counts as its priciest item.
    assert actual(query, {"messages": {"messages": messages}}) == 1 + (1 + 0) + (1 + 1)
    assert actual(query, None) == 0  # refused, or nothing came back
    batch = 'mutation { produceBatch(topic: "t", messages: [{value: 1}, {value: 2}]) { offset } }'
    assert actual(batch, {"produceBatch": [{"offset": 1}, {"offset": 2}]}) == 12
    assert actual('{ topic(name: "t") { name } }', {"topic": None}) == 0
