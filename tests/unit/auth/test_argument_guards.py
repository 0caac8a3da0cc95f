"""Arguments are guarded like selections (graphql/auth/field_check.py): a filter or a `where` that
reads a field the caller may not select is refused with FORBIDDEN by the gate's document check,
before anything runs, with `extensions.path` saying which argument. Checked here on the check
itself; the integration tests (tests/integration/test_hostile_filters.py) run it on the real
gateway."""

from __future__ import annotations

import tomllib
from types import SimpleNamespace
from typing import Any, cast

import pytest
from graphql import parse
from strawberry.types import ExecutionContext

from kafka_graphql.core.auth.field_rules import FieldRules
from kafka_graphql.core.auth.principal import Principal
from kafka_graphql.core.errors import BadUserInput, Forbidden
from kafka_graphql.core.typed.records import TypedRecords
from kafka_graphql.core.typed.topic import load_typed_topics
from kafka_graphql.graphql.auth.field_check import field_authorization
from kafka_graphql.graphql.schema import build_schema
from kafka_graphql.graphql.schema.build import GatewaySchema
from kafka_graphql.settings import settings_from_mapping
from tests.unit.typed.helpers import FIXTURES
from tests.unit.typed.test_sdl_snapshots import CASES as SDL_CASES

KEYS, HEADERS, HEADER_VALUES, VALUES = "kafka:keys", "kafka:headers", "kafka:hv", "kafka:values"
CUSTOMER, EMAIL = "orders:customer", "orders:pii"
RULES = FieldRules(
    generic={
        ("Message", "key"): (KEYS,),
        ("Message", "headers"): (HEADERS,),
        ("Header", "value"): (HEADER_VALUES,),
        ("Message", "value"): (VALUES,),
    },
    guards={("Order", "customer"): (CUSTOMER, EMAIL), ("LineItem", "count"): ("orders:counts",)},
    masks={("OrderCustomer", "email"): EMAIL},
)
EVERYTHING = (KEYS, HEADERS, HEADER_VALUES, VALUES, CUSTOMER, "orders:counts")


@pytest.fixture(scope="module")
async def schema() -> GatewaySchema:
    settings = settings_from_mapping(tomllib.loads(SDL_CASES["order"]), FIXTURES)
    topics = await load_typed_topics(settings.topics, None)
    return build_schema(typed=map(TypedRecords, topics.values()), rules=RULES)


def check(
    schema: GatewaySchema, query: str, scopes: tuple[str, ...], variables: Any = None
) -> Forbidden | None:
    execution = SimpleNamespace(
        graphql_document=parse(query),
        operation_name=None,
        schema=schema,
        context=SimpleNamespace(principal=Principal("someone", scopes=frozenset(scopes))),
        variables=variables,
    )
    try:
        field_authorization(cast("ExecutionContext", execution))
    except Forbidden as refused:
        return refused
    return None


def everything_but(*scopes: str) -> tuple[str, ...]:
    return tuple(s for s in EVERYTHING if s not in scopes)


GENERIC = 'query($f: MessageFilter) { messages(topic: "t", filter: $f) { hasMore } }'


@pytest.mark.parametrize(
    ("scopes", "given", "path", "message"),
    [
        (
            everything_but(KEYS),
            {"keyPrefix": "eu-"},
            ["filter", "keyPrefix"],
            "filter.keyPrefix reads Message.key, which needs scope kafka:keys",
        ),
        (everything_but(KEYS), {"key": "k"}, ["filter", "key"], None),
        (
            everything_but(HEADERS),
            {"headers": [{"key": "vip"}]},
            ["filter", "headers", 0],
            "filter.headers[0] reads Message.headers, which needs scope kafka:headers",
        ),
        (
            everything_but(HEADER_VALUES),
            {"headers": [{"key": "vip"}, {"key": "region", "value": "eu"}]},
            ["filter", "headers", 1, "value"],
            None,
        ),
        (
            everything_but(VALUES),
            {"key": "k", "value": [{"path": "total", "gt": 1}]},
            ["filter", "value", 0],
            "filter.value[0] reads Message.value, which needs scope kafka:values",
        ),
    ],
)
def test_a_generic_filter_reading_a_guarded_field_is_refused(
    schema: GatewaySchema,
    scopes: tuple[str, ...],
    given: dict[str, Any],
    path: list[Any],
    message: str | None,
) -> None:
    refused = check(schema, GENERIC, scopes, {"f": given})
    assert refused is not None
    assert refused.extensions == {"path": path}
    if message is not None:
        assert refused.message == message
    # The same filter written in the document, in a subscription: the same refusal.
    written = '{ messages(topic: "t", filter: ' + _graphql(given) + ") { hasMore } }"
    literal = check(schema, written, scopes)
    assert literal is not None and literal.extensions == {"path": path}
    subscription = 'subscription($f: MessageFilter) { messages(topic: "t", filter: $f) { offset } }'
    streamed = check(schema, subscription, scopes, {"f": given})
    assert streamed is not None and streamed.extensions == {"path": path}
    # With the scope (or kafka:admin), nothing is refused.
    assert check(schema, GENERIC, EVERYTHING, {"f": given}) is None
    assert check(schema, GENERIC, ("kafka:admin",), {"f": given}) is None


def test_a_header_without_a_value_reads_only_its_presence(schema: GatewaySchema) -> None:
    headers = {"headers": [{"key": "vip"}, {"key": "x", "value": None}]}
    assert check(schema, GENERIC, everything_but(HEADER_VALUES), {"f": headers}) is None


def test_variables_inside_literals_and_defaults_are_read(schema: GatewaySchema) -> None:
    inner = """query($p: String) { messages(topic: "t", filter: {keyPrefix: $p}) { hasMore } }"""
    refused = check(schema, inner, everything_but(KEYS), {"p": "eu-"})
    assert refused is not None and refused.extensions == {"path": ["filter", "keyPrefix"]}
    assert check(schema, inner, everything_but(KEYS), {}) is None  # an unset variable: not given
    declared = """query($f: MessageFilter = {value: [{path: "a", exists: true}]}) {
        messages(topic: "t", filter: $f) { hasMore } }"""
    refused = check(schema, declared, everything_but(VALUES))
    assert refused is not None and refused.extensions == {"path": ["filter", "value", 0]}
    assert check(schema, declared, everything_but(VALUES), {"f": None}) is None


def test_through_fragments_and_aliases(schema: GatewaySchema) -> None:
    query = """query($f: MessageFilter) { a: messages(topic: "t") { hasMore } ...F }
        fragment F on Query { b: messages(topic: "u", filter: $f) { hasMore } }"""
    refused = check(schema, query, everything_but(KEYS), {"f": {"key": "k"}})
    assert refused is not None and refused.extensions == {"path": ["filter", "key"]}


TYPED = "query($w: OrderWhere) { orders(where: $w) { edges { cursor } } }"


@pytest.mark.parametrize(
    ("scopes", "where", "path", "message"),
    [
        (
            everything_but(KEYS),
            {"key": {"startsWith": "eu-"}},
            ["where", "key"],
            "where.key reads Message.key, which needs scope kafka:keys",
        ),
        (
            everything_but(CUSTOMER),
            {"id": {"eq": "o-1"}, "customer": {"name": {"eq": "Ada"}}},
            ["where", "customer"],
            "where.customer reads Order.customer, which needs one of the scopes orders:customer, "
            "orders:pii",
        ),
        (
            everything_but(CUSTOMER),
            {"or": [{"id": {"eq": "x"}}, {"not": {"customer": {"name": {"exists": True}}}}]},
            ["where", "or", 1, "not", "customer"],
            None,
        ),
        (
            everything_but("orders:counts"),
            {"items": {"some": {"sku": {"eq": "a"}, "count": {"gt": 2}}}},
            ["where", "items", "some", "count"],
            "where.items.some.count reads LineItem.count, which needs scope orders:counts",
        ),
        (
            everything_but(VALUES),
            {"key": {"eq": "k"}, "total": {"gte": 10}},
            ["where", "total"],
            "where.total reads Message.value, which needs scope kafka:values",
        ),
    ],
)
def test_a_typed_where_reading_a_guarded_field_is_refused(
    schema: GatewaySchema,
    scopes: tuple[str, ...],
    where: dict[str, Any],
    path: list[Any],
    message: str | None,
) -> None:
    refused = check(schema, TYPED, scopes, {"w": where})
    assert refused is not None
    assert refused.extensions == {"path": path}
    if message is not None:
        assert refused.message == message
    subscription = "subscription($w: OrderWhere) { orders(where: $w) { offset } }"
    streamed = check(schema, subscription, scopes, {"w": where})
    assert streamed is not None and streamed.extensions == {"path": path}
    assert check(schema, TYPED, EVERYTHING, {"w": where}) is None


def test_a_masked_field_may_be_filtered_on(schema: GatewaySchema) -> None:
    # Masked fields stay as they are: the filter sees the caller's view (null).
    where = {"customer": {"email": {"eq": "ada@example.com"}}}
    assert check(schema, TYPED, everything_but(EMAIL), {"w": where}) is None


def test_selections_and_arguments_are_refused_together(schema: GatewaySchema) -> None:
    query = """query($w: OrderWhere) { orders(where: $w) {
        edges { node { value { customer { name } } } } } }"""
    refused = check(schema, query, everything_but(CUSTOMER, KEYS), {"w": {"key": {"eq": "k"}}})
    assert refused is not None
    assert refused.message == (
        "Order.customer needs one of the scopes orders:customer, orders:pii; "
        "where.key reads Message.key, which needs scope kafka:keys"
    )
    assert refused.extensions == {"path": ["where", "key"]}
    # A selection alone says no path, as before.
    alone = check(schema, query, everything_but(CUSTOMER), {})
    assert alone is not None and alone.extensions == {}


def test_a_where_too_deep_to_read_is_refused_as_bad_input(schema: GatewaySchema) -> None:
    deep: dict[str, Any] = {"id": {"eq": "x"}}
    for _ in range(10):
        deep = {"not": deep}
    with pytest.raises(BadUserInput) as refused:
        check(schema, TYPED, EVERYTHING, {"w": deep})
    assert refused.value.extensions == {"path": ["where", *["not"] * 10]}


def _graphql(value: Any) -> str:
    """A plain value as a GraphQL literal."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_graphql(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_graphql(v) for v in value) + "]"
    if isinstance(value, str):
        return f'"{value}"'
    if value is None:
        return "null"
    return str(value).lower() if isinstance(value, bool) else str(value)
