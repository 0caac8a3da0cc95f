"""Headers are priced per header (docs/limits.md#headers): read, as many as a record shows
before anything runs and as came back after; written, from the produce's own arguments."""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest
from graphql import parse

from kafka_graphql.core.errors import BadUserInput
from kafka_graphql.core.typed.records import TypedRecords
from kafka_graphql.core.typed.topic import load_typed_topics
from kafka_graphql.graphql.limits.cost import CostModel
from kafka_graphql.graphql.limits.header_cost import HEADERS_PER_POINT
from kafka_graphql.graphql.limits.memo import CostMemo
from kafka_graphql.graphql.schema import build_schema
from kafka_graphql.settings import LimitsSettings, SettingsError, settings_from_mapping
from tests.unit.typed.helpers import FIXTURES
from tests.unit.typed.test_sdl_snapshots import CASES as SDL_CASES

GENERIC = build_schema().costs
FEW = build_schema(LimitsSettings(max_headers_per_record=8)).costs
PRODUCE = 'mutation($h: [HeaderInput!]) { produce(topic: "t", value: 1, headers: $h) { offset } }'
BATCH = 'mutation($m: [MessageInput!]!) { produceBatch(topic: "t", messages: $m) { offset } }'


def cost(query: str, variables: dict[str, Any] | None = None, model: CostModel = GENERIC) -> int:
    return model.operation_cost(parse(query), variables).requested


def headers(count: int) -> list[dict[str, str]]:
    return [{"key": f"h{i}", "value": "v"} for i in range(count)]


def test_headers_read_cost_a_point_per_32_a_record_may_show() -> None:
    page = '{ messages(topic: "t", limit: 10) { messages { offset headers { key } } } }'
    # The page 1 + 10 x (Message 1 + the 64 headers a record shows, 64 / 32 x Header 1).
    assert cost(page) == 1 + 10 * (1 + 64 // HEADERS_PER_POINT)
    # The bound is the setting's.
    assert cost(page, model=FEW) == 1 + 10 * (1 + -(-8 // HEADERS_PER_POINT))
    # Not selected, not priced.
    assert cost('{ messages(topic: "t", limit: 10) { messages { offset } } }') == 1 + 10


@pytest.mark.parametrize(
    ("returned", "points"),
    [(0, 0), (1, 1), (32, 1), (33, 2), (64, 2), (1000, 2)],
)
def test_headers_that_came_back_cost_what_they_are(returned: int, points: int) -> None:
    query = '{ messages(topic: "t", limit: 10) { messages { offset headers { key } } } }'
    data = {"messages": {"messages": [{"offset": 0, "headers": [{"key": "k"}] * returned}]}}
    assert GENERIC.actual_cost(parse(query), None, None, data) == 1 + 1 + points


@pytest.mark.parametrize(("count", "points"), [(0, 0), (1, 1), (4, 1), (5, 2), (64, 16)])
def test_a_produce_pays_for_the_headers_it_writes(count: int, points: int) -> None:
    # Written headers cost a point per 4 (GraphQL coerces each one before anything runs).
    assert cost(PRODUCE, {"h": headers(count)}) == 10 + points
    data = {"produce": {"offset": 1}}
    assert GENERIC.actual_cost(parse(PRODUCE), {"h": headers(count)}, None, data) == 10 + points


@pytest.mark.parametrize("count", [65, 1_000, 60_000])
def test_too_many_written_headers_are_refused_by_the_cost_model(count: int) -> None:
    """Before GraphQL coerces them one by one (60,000 headers fit in a request body and took
    half a second to coerce): the resolver's own refusal, with its extensions.path."""
    with pytest.raises(BadUserInput) as single:
        cost(PRODUCE, {"h": headers(count)})
    assert single.value.extensions["path"] == ["headers", 64]
    batch = [{"value": 1}, {"value": 2, "headers": headers(count)}]
    with pytest.raises(BadUserInput) as refused:
        cost(BATCH, {"m": batch})
    assert refused.value.extensions["path"] == ["messages", 1, "headers", 64]
    assert str(count) in refused.value.message


@pytest.mark.parametrize("count", [501, 60_000])
def test_an_oversized_batch_is_refused_by_the_cost_model(count: int) -> None:
    """Before it is priced: a batch over limits.max_batch_size (500) would never be written,
    so it costs nothing and answers BAD_USER_INPUT whatever the caller's budget holds."""
    with pytest.raises(BadUserInput) as refused:
        cost(BATCH, {"m": [{"value": i} for i in range(count)]})
    assert refused.value.extensions["path"] == ["messages"]
    assert str(count) in refused.value.message
    assert cost(BATCH, {"m": [{"value": i} for i in range(500)]}) == 10 + 500


def test_a_batch_pays_for_every_message_s_headers() -> None:
    messages = [{"value": i, "headers": headers(i)} for i in range(10)]  # 45 headers
    assert cost(BATCH, {"m": messages}) == 10 + 10 + (45 + 3) // 4
    # A single message given for the list.
    assert cost(BATCH, {"m": {"value": 1, "headers": headers(8)}}) == 10 + 1 + 2


def test_headers_written_in_the_document_are_counted_too() -> None:
    literal = """mutation { produceBatch(topic: "t", messages: [
        { value: 1, headers: [{ key: "a" }, { key: "b" }, { key: "c" }] },
        { value: 2, headers: { key: "one" } },
        { value: 3 },
        { value: 4, headers: $h } ]) { offset } }"""
    query = "mutation($h: [HeaderInput!])" + literal.removeprefix("mutation")
    assert cost(query, {"h": headers(6)}) == 10 + 4 + (3 + 1 + 6 + 3) // 4
    one = """mutation {
        produce(topic: "t", value: 1, headers: [{ key: "a" }, { key: "b" }]) { offset } }"""
    assert cost(one) == 10 + 1


async def test_a_kept_cost_serves_only_batches_with_as_many_headers() -> None:
    """The cost memo keys a cost by what the walk read of the variables: a batch with other
    header counts must be costed again, not served the cheaper cost."""
    memo = CostMemo()
    document = parse(BATCH)
    light = GENERIC.operation_cost(document, {"m": [{"value": 1}] * 3}, memo=memo)
    heavy = GENERIC.operation_cost(
        document, {"m": [{"value": 1, "headers": headers(64)}] * 3}, memo=memo
    )
    assert (light.requested, heavy.requested) == (13, 13 + 3 * 16)
    again = GENERIC.operation_cost(document, {"m": [{"value": 2}] * 3}, memo=memo)
    assert again.requested == 13


async def test_typed_produces_pay_for_their_headers() -> None:
    settings = settings_from_mapping(tomllib.loads(SDL_CASES["order"]), FIXTURES)
    topics = await load_typed_topics(settings.topics, None)
    orders = build_schema(typed=map(TypedRecords, topics.values())).costs
    one = """mutation($v: OrderInput!, $h: [HeaderInput!]) {
        produceOrder(value: $v, headers: $h) { offset } }"""
    assert cost(one, {"v": {}, "h": headers(9)}, orders) == 10 + 3
    many = "mutation($m: [OrderMessageInput!]!) { produceOrders(messages: $m) { offset } }"
    messages = [{"value": {}, "headers": headers(4)}, {"value": {}}]
    assert cost(many, {"m": messages}, orders) == 10 + 2 + 1


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"max_headers_per_record": 0}, "limits.max_headers_per_record must be positive"),
        ({"max_header_key_bytes": -1}, "limits.max_header_key_bytes must be positive"),
        ({"max_headers_per_record": "64"}, "limits.max_headers_per_record must be an"),
    ],
)
def test_header_caps_that_cannot_work_are_refused(limits: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        settings_from_mapping({"limits": limits})


def test_header_caps_default_to_what_the_docs_say() -> None:
    limits = LimitsSettings()
    assert (limits.max_headers_per_record, limits.max_header_key_bytes) == (64, 256)
