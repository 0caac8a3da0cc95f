"""Fields guarded by `field_scopes` (@auth in the SDL), on the real gateway: an operation that
selects one without the scope, through fragments and aliases, is refused with FORBIDDEN naming the
field, over HTTP and both WebSocket subprotocols, and makes no Kafka call at all. Every Kafka call
goes through the Kafka layer (KafkaGateway), so recording its methods shows that none was made;
a plain Kafka consumer shows that nothing was written."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiokafka.admin import AIOKafkaAdminClient

from tests.clients import LEGACY_WS, TRANSPORT_WS, GraphQLClient, without_request_ids
from tests.integration.auth import (  # noqa: F401 (a fixture)
    ADMIN,
    create_topic,
    end_offsets,
    key_files_fixture,
)
from tests.integration.conftest import RunningGateway
from tests.integration.field_auth import (
    ORDERS,
    PII,
    READER,
    SUPPORT,
    callers,
    field_gateway,
    order,
    record_kafka_calls,
    unique_email,
)

CUSTOMER = "Order.customer needs one of the scopes orders:customer, orders:pii"
COUNT = "LineItem.count needs scope orders:counts"

# One guarded field, reached in every way a document can reach it.
THROUGH_FRAGMENTS = {
    "named fragment": """
        query { orders(first: 1) { edges { node { ...Order } } } }
        fragment Order on OrderMessage { value { customer { name } } }""",
    "alias": """
        { page: orders(first: 1) { edges { node { v: value { who: customer { name } } } } } }""",
    "inline fragment": """
        { orders(first: 1) { edges { node { value { ... on Order { customer { name } } } } } } }""",
    "nested fragments": """
        query { orders(first: 1) { ...Page } }
        fragment Page on OrderConnection { edges { ...Edge } }
        fragment Edge on OrderEdge { node { value { ...Buyer } } }
        fragment Buyer on Order { ... { c: customer { ...Name } } }
        fragment Name on OrderCustomer { name }""",
}


@pytest_asyncio.fixture(scope="module")
async def gateway(bootstrap: str, key_files: tuple[Path, Path]) -> AsyncIterator[RunningGateway]:
    async with field_gateway(bootstrap, key_files[0]) as running:
        yield running


@pytest.fixture
def as_scopes(gateway: RunningGateway, http: aiohttp.ClientSession) -> Any:
    return callers(gateway, http)


@pytest.fixture
def kafka_calls(gateway: RunningGateway, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return record_kafka_calls(gateway, monkeypatch)


async def refusal(client: GraphQLClient, query: str, **variables: Any) -> tuple[int, Any]:
    """The status and body, less the cost report every response carries (a refused operation
    ran nothing, so it was charged nothing)."""
    response = await client.raw(query, variables)
    body = without_request_ids(response.json(), response.headers["X-Request-ID"])
    cost = body.pop("extensions")["cost"]
    assert cost["actualQueryCost"] == 0, cost
    return response.status, body


def forbidden(message: str) -> tuple[int, Any]:
    return 200, {
        "data": None,
        "errors": [{"message": message, "extensions": {"code": "FORBIDDEN"}}],
    }


@pytest.mark.parametrize("query", THROUGH_FRAGMENTS.values(), ids=THROUGH_FRAGMENTS.keys())
async def test_a_guarded_field_is_refused_before_anything_runs(
    as_scopes: Callable[[str], GraphQLClient], kafka_calls: list[str], query: str
) -> None:
    assert await refusal(as_scopes(READER), query) == forbidden(CUSTOMER)
    assert kafka_calls == []
    # With one of the scopes the same operation runs, and reads Kafka.
    for scope in (SUPPORT, PII, ADMIN):
        assert await as_scopes(scope).data(query)
    assert "read_page" in kafka_calls


async def test_every_guarded_field_is_named_once(
    as_scopes: Callable[[str], GraphQLClient], kafka_calls: list[str]
) -> None:
    query = """
        query { a: orders { ...Items } b: orders { ...Items edges { node { value { customer {
          name } } } } } }
        fragment Items on OrderConnection { edges { node { value { items { sku count } } } } }"""
    assert await refusal(as_scopes(READER), query) == forbidden(f"{COUNT}; {CUSTOMER}")
    assert await refusal(as_scopes(SUPPORT), query) == forbidden(COUNT)
    assert kafka_calls == []


async def test_the_generic_api_s_guarded_fields(
    as_scopes: Callable[[str], GraphQLClient], kafka_calls: list[str]
) -> None:
    topics = "{ topics { ...T } } fragment T on Topic { name p: partitions { id } }"
    topic = "query($n: String!) { topic(name: $n) { ... on Topic { partitions { id } } } }"
    headers = "query($n: String!) { messages(topic: $n) { messages { headers { key } } } }"
    reader = as_scopes(READER)
    assert await refusal(reader, topics) == forbidden("Topic.partitions needs scope ops")
    assert await refusal(reader, topic, n=ORDERS) == forbidden("Topic.partitions needs scope ops")
    assert await refusal(reader, headers, n=ORDERS) == forbidden(
        "Message.headers needs scope kafka:headers"
    )
    typed_headers = "{ orders { edges { node { headers { key } } } } }"
    assert await refusal(reader, typed_headers) == forbidden(
        "OrderMessage.headers needs scope kafka:headers"
    )
    assert kafka_calls == []
    assert (await as_scopes(f"{READER} ops").data(topic, {"n": ORDERS}))["topic"]["partitions"]
    assert "messages" in await as_scopes(f"{READER} kafka:headers").data(headers, {"n": ORDERS})


async def test_a_mutation_whose_result_selects_a_guarded_field_writes_nothing(
    as_scopes: Callable[[str], GraphQLClient],
    kafka_calls: list[str],
    admin: AIOKafkaAdminClient,
    bootstrap: str,
) -> None:
    topic = f"test-fields-{ORDERS[-8:]}-produce"
    await create_topic(admin, topic)
    produce = """
        mutation($t: String!) { produce(topic: $t, value: 1) { ...Ack } }
        fragment Ack on ProduceResult { offset when: timestamp }"""
    produce_order = "mutation($v: OrderInput!) { produceOrder(value: $v) { offset timestamp } }"
    writer = as_scopes(READER)
    assert await refusal(writer, produce, t=topic) == forbidden(
        "ProduceResult.timestamp needs scope ops"
    )
    value = order(unique_email())
    assert await refusal(writer, produce_order, v=value) == forbidden(
        "ProduceResult.timestamp needs scope ops"
    )
    assert kafka_calls == []
    before = await end_offsets(bootstrap, ORDERS)
    assert await end_offsets(bootstrap, topic) == {0: 0}
    # The same writes with the scope are written, as a plain consumer sees.
    allowed = as_scopes(f"{READER} ops")
    await allowed.data(produce, {"t": topic})
    await allowed.data(produce_order, {"v": value})
    assert await end_offsets(bootstrap, topic) == {0: 1}
    assert await end_offsets(bootstrap, ORDERS) == {0: before[0] + 1}


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_a_subscription_is_refused_before_it_opens_a_consumer(
    as_scopes: Callable[[str], GraphQLClient],
    kafka_calls: list[str],
    gateway: RunningGateway,
    admin: AIOKafkaAdminClient,
    protocol: str,
) -> None:
    topic = f"test-fields-{ORDERS[-8:]}-{protocol}"
    await create_topic(admin, topic)
    typed = """
        subscription { orders { ...Buyer } }
        fragment Buyer on OrderMessage { value { c: customer { name } } }"""
    generic = """
        subscription($t: String!) {
          messages(topic: $t) { ... on Message { h: headers { key } } }
        }"""
    cases = [
        (typed, {}, CUSTOMER),
        (generic, {"t": topic}, "Message.headers needs scope kafka:headers"),
    ]
    reader = as_scopes(READER)
    for query, variables, message in cases:
        async with reader.subscribe(query, variables, protocol=protocol) as stream:
            event = await stream.next_event()
        assert event["type"] == "error"
        errors = event["payload"] if protocol == TRANSPORT_WS else [event["payload"]]
        assert without_request_ids(errors) == [
            {"message": message, "extensions": {"code": "FORBIDDEN"}}
        ]
    assert kafka_calls == []
    assert gateway.kafka.live.feed_count(topic) == 0
    # With the scope, the same subscription opens the topic's consumer.
    allowed = as_scopes(f"{READER} kafka:headers")
    async with allowed.subscribe(generic, {"t": topic}, protocol=protocol) as stream:
        assert stream.ws is not None
        await gateway.kafka.live.wait_until(lambda: gateway.kafka.live.feed_count(topic) == 1)
    assert kafka_calls[-1:] == ["stream"]
