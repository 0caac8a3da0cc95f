"""Scalars are strict (kafka_graphql/graphql/schema/scalars.py): every hostile value of every custom
scalar (Long, DateTime, Cursor, JSON) and of the scalars of typed topics (Avro long, int, float,
timestamp, bytes, fixed, map) is answered BAD_USER_INPUT, or GRAPHQL_VALIDATION_FAILED where
graphql-core refuses a literal while validating, through the running gateway, as a variable and
as a literal: never a server error, never a traceback in the log, and nothing written to Kafka.
Another caller's request on the same gateway is answered meanwhile."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio
from aiokafka.admin import AIOKafkaAdminClient

from tests.clients import GraphQLClient
from tests.integration.conftest import RunningGateway, TopicFactory
from tests.integration.helpers import history, produce
from tests.integration.typed import PAYMENT, create_topic, typed_gateway

BAD = "BAD_USER_INPUT"
INVALID = "GRAPHQL_VALIDATION_FAILED"

# Hostile text for a Long: Unicode digits (`str.isdigit()` says yes, `int()` may not), signs,
# separators, spaces, fractions, beyond 64 bits, and far beyond what Python converts.
HOSTILE_LONG_TEXT = [
    "²",
    "٣",
    "\uff11\uff12",  # full-width 12
    "+1",
    "1_000",
    " 1",
    "1 ",
    "1\n",
    "0x10",
    "1e3",
    "1.0",
    "",
    "-",
    "--1",
    str(2**63),
    str(-(2**63) - 1),
    "9" * 5000,
]
HOSTILE_LONG_VALUES: list[Any] = [
    *HOSTILE_LONG_TEXT,
    2**63,
    -(2**63) - 1,
    1.5,
    1e300,
    True,
    [1],
    {"offset": 1},
]
HOSTILE_DATETIMES: list[Any] = [
    "not a date",
    "\uff12\uff10\uff12\uff16-01-01T00:00:00Z",  # a full-width year
    "99999-01-01T00:00:00Z",
    "9999-12-31T23:00:00-05:00",
    "0001-01-01T00:00:00+01:00",
    "2026-13-01T00:00:00Z",
    "2026-01-01T00:00:00Z" + " " * 100,
    "x" * 10_000,
    "",
    1764072000000,
    True,
    ["2026-01-01T00:00:00Z"],
]
HOSTILE_CURSORS: list[Any] = [
    "not a cursor!",
    "é",
    "a b",
    "A" * 70_000,
    "",
    5,
    {"p": {"0": 1}},
]


@pytest.fixture
def no_errors_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.DEBUG)
    yield
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]
    assert "Traceback" not in caplog.text


async def codes(
    client: GraphQLClient, query: str, variables: dict[str, Any] | None = None
) -> list[str]:
    """The codes of the errors answering `query`, which must have run nothing."""
    body = await client.post(query, variables)
    if body.get("data") is not None:
        assert all(v is None for v in body["data"].values()), (query[:300], body)
    return [e["extensions"]["code"] for e in body["errors"]]


def literal(value: Any) -> str:
    """`value` as a GraphQL literal (JSON text is one, but for object keys)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    return json.dumps(value)


OFFSET_QUERY = "query($o: Long) { messages(topic: $t, fromOffset: $o) { hasMore } }"


@pytest.mark.usefixtures("no_errors_logged")
async def test_long_is_an_optional_minus_and_ascii_digits_within_64_bits(
    client: GraphQLClient, new_topic: TopicFactory
) -> None:
    topic = await new_topic()
    query = "query($o: Long) { messages(topic: $t, fromOffset: $o) { messages { offset } } }"
    query = query.replace("$t", json.dumps(topic))
    for value in HOSTILE_LONG_VALUES:
        assert await codes(client, query, {"o": value}) == [BAD], value
    literal_query = '{ messages(topic: "T", fromOffset: V) { hasMore } }'.replace("T", topic)
    strings = [json.dumps(text) for text in HOSTILE_LONG_TEXT]
    for text in [*strings, "99999999999999999999", "-9223372036854775809", "1.5", "true", "[1]"]:
        assert await codes(client, literal_query.replace("V", text)) == [BAD], text[:40]
    # Beyond what Python converts, as an Int literal: refused while validating.
    assert await codes(client, literal_query.replace("V", "9" * 5000)) == [INVALID]
    # What a Long is: a number, or a decimal string, at both ends of the range.
    await produce(client, topic, {"n": 1})
    for ok in ["0", "-0", "007", 0, 0.0, 1e0, str(2**63 - 1), 2**63 - 1]:
        body = await client.post(query, {"o": ok})
        assert "errors" not in body, (ok, body)
    body = await client.post(query, {"o": str(-(2**63))})
    assert body["errors"][0]["message"] == "fromOffset must not be negative"  # the resolver's


@pytest.mark.usefixtures("no_errors_logged")
async def test_datetime_is_short_ascii_iso_8601_that_utc_can_hold(
    client: GraphQLClient, new_topic: TopicFactory
) -> None:
    topic = await new_topic()
    query = (
        "query($d: DateTime) { messages(topic: TOPIC, fromTimestamp: $d) { messages { value } } }"
    ).replace("TOPIC", json.dumps(topic))
    for value in HOSTILE_DATETIMES:
        assert await codes(client, query, {"d": value}) == [BAD], value
    literal_query = f'{{ messages(topic: "{topic}", fromTimestamp: V) {{ hasMore }} }}'
    for value in HOSTILE_DATETIMES:
        assert await codes(client, literal_query.replace("V", literal(value))) == [BAD], value
    # Before 1970 is before every record (Kafka would read -1 ms as "latest"): all of them.
    await produce(client, topic, {"n": 1})
    await produce(client, topic, {"n": 2})
    for early in ["1969-12-31T23:59:59.999Z", "0001-01-01T00:00:00Z", "1900-01-01"]:
        page = await client.data(query, {"d": early})
        assert page["messages"]["messages"] == [{"value": {"n": 1}}, {"value": {"n": 2}}]


@pytest.mark.usefixtures("no_errors_logged")
async def test_cursor_is_short_url_safe_text(
    client: GraphQLClient, new_topic: TopicFactory
) -> None:
    topic = await new_topic()
    query = ("query($c: Cursor) { messages(topic: TOPIC, after: $c) { hasMore } }").replace(
        "TOPIC", json.dumps(topic)
    )
    for value in HOSTILE_CURSORS:
        assert await codes(client, query, {"c": value}) == [BAD], str(value)[:40]
    literal_query = f'{{ messages(topic: "{topic}", after: V) {{ hasMore }} }}'
    for text in ['"not a cursor!"', '"é"', "5", "true", "{p: 1}"]:
        assert await codes(client, literal_query.replace("V", text)) == [BAD], text


PRODUCE = "mutation($t: String!, $v: JSON!) { produce(topic: $t, value: $v) { offset } }"


def nested(depth: int) -> Any:
    """`depth` lists, one in the other."""
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.usefixtures("no_errors_logged")
async def test_json_refuses_what_json_or_python_cannot_hold_and_writes_nothing(
    client: GraphQLClient, new_topic: TopicFactory
) -> None:
    topic = await new_topic()
    # As a variable: nested too deeply (the request's own JSON holds it).
    for value in [nested(101), {"a": nested(100)}, [{"b": nested(99)}]]:
        assert await codes(client, PRODUCE, {"t": topic, "v": value}) == [BAD]
    # As a literal: no JSON form, too many digits, too deep, a key twice.
    produce_literal = f'mutation {{ produce(topic: "{topic}", value: V) {{ offset }} }}'
    for text, code in [
        ("1e999", INVALID),
        ("-1e999", INVALID),
        ("[1, 2, 1e400]", INVALID),
        ("{a: {b: 1e999}}", INVALID),
        ("9" * 5000, INVALID),
        ("[" * 120 + "1" + "]" * 120, BAD),
        ("{a: 1, a: 2}", INVALID),
    ]:
        assert await codes(client, produce_literal.replace("V", text)) == [code], text[:40]
    # The request itself: NaN and integers Python cannot convert are not JSON it reads.
    for body in ('{"t": "x", "v": NaN}', '{"t": "x", "v": ' + "9" * 5000 + "}"):
        raw = '{"query": ' + json.dumps(PRODUCE) + ', "variables": ' + body + "}"
        async with client.session.post(
            client.url, data=raw, headers={"Content-Type": "application/json"}
        ) as response:
            assert response.status == 400
            assert (await response.json())["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    # Nothing of it reached the topic; what JSON holds does.
    assert (await history(client, topic))["messages"] == []
    deep_enough = nested(99)  # and the object around it: 100
    big = int("9" * 4300)
    await client.data(PRODUCE, {"t": topic, "v": {"deep": deep_enough, "big": big}})
    [message] = (await history(client, topic))["messages"]
    assert message["value"] == {"deep": deep_enough, "big": big}


@pytest.mark.usefixtures("no_errors_logged")
async def test_graphql_int_and_float_literals_beyond_python_are_refused(
    client: GraphQLClient, new_topic: TopicFactory
) -> None:
    topic = await new_topic()
    query = f'{{ messages(topic: "{topic}", limit: V) {{ hasMore }} }}'
    assert await codes(client, query.replace("V", "9" * 5000)) == [INVALID]
    assert await codes(client, query.replace("V", "99999999999")) == [INVALID]
    assert await codes(client, query.replace("V", "1e999")) == [INVALID]
    variable = f'query($n: Int) {{ messages(topic: "{topic}", limit: $n) {{ hasMore }} }}'
    for value in [2**31, "1", 1.5, "٣", True]:
        assert await codes(client, variable, {"n": value}) == [BAD], value


# Typed topics: payment.avsc holds a long, an int, a double, a float, a timestamp, bytes, a
# fixed of 4 bytes, an enum and a map.
PAYMENT_TOPIC = {"type": "Payment", "value_schema": "payment.avsc", "value_format": "avro"}
PRODUCE_PAYMENT = "mutation($v: PaymentInput!) { producePayment(value: $v) { offset } }"
HOSTILE_PAYMENT_FIELDS: list[tuple[str, Any]] = [
    *(("amountCents", v) for v in ["²", "9" * 5000, 2**63, 1.5, "1_0", True]),
    *(("attempt", v) for v in [2**31, "1", 1.5, "٣"]),
    *(("rate", v) for v in ["1.5", "Infinity", True]),
    *(("at", v) for v in ["x", "99999-01-01T00:00:00Z", "9999-12-31T23:00:00-05:00", 5]),
    *(("signature", v) for v in ["not base64!", "AAE", 5]),
    *(("digest", v) for v in ["AAEC", "AAECAwQ=", "!!!!"]),
    *(("labels", v) for v in [nested(101), "text", {"a": 1}]),
]


@pytest_asyncio.fixture(scope="module")
async def payments(
    bootstrap: str, admin: AIOKafkaAdminClient
) -> AsyncIterator[tuple[RunningGateway, str]]:
    topic = await create_topic(admin, 1)
    async with typed_gateway(bootstrap, [{"name": topic, **PAYMENT_TOPIC}]) as running:
        yield running, topic


@pytest.mark.usefixtures("no_errors_logged")
async def test_typed_scalars_are_strict_and_nothing_is_written(
    payments: tuple[RunningGateway, str], client: GraphQLClient
) -> None:
    gateway, topic = payments
    typed = GraphQLClient(client.session, gateway.url)
    for field, value in HOSTILE_PAYMENT_FIELDS:
        payment = {**PAYMENT, field: value}
        assert await codes(typed, PRODUCE_PAYMENT, {"v": payment}) == [BAD], (
            field,
            str(value)[:40],
        )
        # The other caller of this gateway is answered meanwhile.
        assert (await client.data("{ rateLimit { limit } }"))["rateLimit"]["limit"] > 0
    for field, text, code in [
        ("amountCents", '"²"', BAD),
        ("amountCents", "9" * 5000, INVALID),
        ("amountCents", "1.5", BAD),
        ("attempt", "2147483648", INVALID),
        ("at", '"99999-01-01T00:00:00Z"', BAD),
        ("at", "1764072000000", BAD),
        ("rate", "1e999", INVALID),
    ]:
        fields = {k: v for k, v in PAYMENT.items() if k != field}
        body = literal(fields).replace('"DONE"', "DONE")[:-1] + f", {field}: {text}}}"
        query = f"mutation {{ producePayment(value: {body}) {{ offset }} }}"
        assert await codes(typed, query) == [code], (field, text[:40])
    # Filters on them too.
    where = "query($w: PaymentWhere) { payments(where: $w) { edges { cursor } } }"
    for condition in [
        {"amountCents": {"gt": "²"}},
        {"amountCents": {"in": ["9" * 5000]}},
        {"at": {"gt": "99999-01-01T00:00:00Z"}},
        {"at": {"lt": "9999-12-31T23:00:00-05:00"}},
    ]:
        assert await codes(typed, where, {"w": condition}) == [BAD], condition
    # Nothing was written: a good payment is the topic's first record.
    written = await typed.data(PRODUCE_PAYMENT, {"v": PAYMENT})
    assert written["producePayment"]["offset"] == 0
    assert topic
