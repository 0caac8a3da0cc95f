"""Hostile documents: validation is linear (graphql/limits/structure.py). Documents whose fragment
spreads multiply (each fragment spreading the next two or three times, through inline fragments,
under aliases, with directives) held the event loop for hours; they are refused with
GRAPHQL_VALIDATION_FAILED in milliseconds, over HTTP and both WebSocket subprotocols, while
another caller's `/healthz` and queries are answered. So are documents whose fields merge
quadratically, introspection nested as deep as the parser allows, and oversized documents."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from kafka_graphql.graphql.limits.structure import StructuralLimits
from tests.clients import (
    LEGACY_WS,
    TRANSPORT_WS,
    GraphQLClient,
    SocketClosed,
    _receive_json,
    without_request_ids,
)
from tests.integration.conftest import RunningGateway, TopicFactory
from tests.integration.helpers import produce

EXPANDED = (
    "the document has more than 10000 fields once its fragment spreads are written out: "
    "at most 10000 are allowed (limits.max_expanded_fields)"
)
LEVELS = 40  # 2^40 fields and more written out: hours for a validator that writes them out


def _fragments(on: str, field: str, spread: Callable[[int], str], levels: int = LEVELS) -> str:
    chain = [f"fragment F{i} on {on} {{ {field} {spread(i + 1)} }}" for i in range(levels)]
    return " ".join([*chain, f"fragment F{levels} on {on} {{ {field} }}"])


# Each: the operation's head and what one fragment level spreads of the next.
VARIANTS: dict[str, Callable[[int], str]] = {
    "spread twice": lambda i: f"...F{i} ...F{i}",
    "spread three times": lambda i: f"...F{i} ...F{i} ...F{i}",
    "through inline fragments": lambda i: f"... {{ ...F{i} }} ... on {{TYPE}} {{ ...F{i} }}",
    "with directives": lambda i: f"...F{i} @include(if: true) ...F{i} @skip(if: false)",
    "under aliases": lambda i: f"a: __typename ...F{i} b: __typename ...F{i}",
}


def hostile_query(variant: str) -> str:
    spread = VARIANTS[variant]
    fragments = _fragments("Topic", "name", lambda i: spread(i).replace("{TYPE}", "Topic"))
    # A comment makes the text unique: the refusal is this test's, not a cached one.
    return f"query {{ topics {{ ...F0 }} }} {fragments} # {uuid.uuid4().hex}"


def hostile_subscription(variant: str) -> str:
    spread = VARIANTS[variant]
    fragments = _fragments("Message", "offset", lambda i: spread(i).replace("{TYPE}", "Message"))
    return f'subscription {{ messages(topic: "test-x") {{ ...F0 }} }} {fragments}'


class LoopWatch:
    """The longest the event loop went without running this task's next tick: the gateway
    runs in the test's loop, so a validation that held it would show here."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.005)
            now = time.monotonic()
            self.longest = max(self.longest, now - last)
            last = now

    async def __aenter__(self) -> LoopWatch:
        self._task = asyncio.create_task(self._tick())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


async def another_caller(gateway: RunningGateway, http: aiohttp.ClientSession) -> None:
    """`/healthz` and a query of a caller that sent nothing hostile, both answered."""
    async with http.get(gateway.url.removesuffix("/graphql") + "/healthz") as response:
        assert response.status == 200
    body = await GraphQLClient(http, gateway.url).post("{ rateLimit { limit } }")
    assert "errors" not in body, body
    assert body["data"]["rateLimit"]["limit"] > 0


@pytest.mark.parametrize("variant", VARIANTS)
async def test_multiplying_spreads_are_refused_over_http_while_others_are_served(
    gateway: RunningGateway, http: aiohttp.ClientSession, client: GraphQLClient, variant: str
) -> None:
    async with LoopWatch() as watch:
        # Ten at once, and the other caller in the middle of them.
        answers = await asyncio.gather(
            *(client.raw(hostile_query(variant)) for _ in range(5)),
            another_caller(gateway, http),
            *(client.raw(hostile_query(variant)) for _ in range(5)),
        )
    for answer in answers:
        if answer is None:
            continue  # the other caller's, checked in it
        assert answer.status == 200
        body = without_request_ids(answer.json(), answer.headers["X-Request-ID"])
        assert body["data"] is None
        assert body["errors"] == [
            {
                "message": EXPANDED,
                "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
            }
        ]
    # Generous: a validation that expanded the spreads would hold the loop for hours.
    assert watch.longest < 1.0


async def subscribe_refused(
    gateway: RunningGateway,
    http: aiohttp.ClientSession,
    protocol: str,
    query: str,
    topic: str,
) -> dict[str, Any]:
    """Sends `query` on a new socket: the message that answers it. The socket stays open: an
    ordinary subscription on it then receives a record written meanwhile."""
    async with http.ws_connect(gateway.url, protocols=[protocol]) as ws:
        await ws.send_json({"type": "connection_init", "payload": {}})
        assert (await _receive_json(ws))["type"] == "connection_ack"
        start = "subscribe" if protocol == TRANSPORT_WS else "start"
        await ws.send_json({"id": "1", "type": start, "payload": {"query": query}})
        answer = await _receive_json(ws)
        ordinary = "subscription($t: String!) { messages(topic: $t, fromOffset: 0) { value } }"
        payload = {"query": ordinary, "variables": {"t": topic}}
        await ws.send_json({"id": "2", "type": start, "payload": payload})
        following = await _receive_json(ws)
        assert following["id"] == "2"
        assert following["type"] in ("next", "data"), following
        assert following["payload"]["data"]["messages"]["value"] == {"ok": True}
        return answer


def refusal_errors(protocol: str, answer: dict[str, Any]) -> list[dict[str, Any]]:
    assert answer["id"] == "1"
    assert answer["type"] == "error", answer
    payload = answer["payload"]
    # graphql-transport-ws: a list of errors; graphql-ws: the first error.
    errors: list[dict[str, Any]] = payload if protocol == TRANSPORT_WS else [payload]
    return errors


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
@pytest.mark.parametrize("variant", ["spread twice", "through inline fragments", "under aliases"])
async def test_multiplying_spreads_are_refused_over_websockets(
    gateway: RunningGateway,
    http: aiohttp.ClientSession,
    client: GraphQLClient,
    new_topic: TopicFactory,
    protocol: str,
    variant: str,
) -> None:
    topic = await new_topic()
    await produce(client, topic, {"ok": True})
    # Legacy graphql-ws runs subscriptions only (a query is refused before validation).
    queries = [hostile_subscription(variant)]
    if protocol == TRANSPORT_WS:
        queries.append(hostile_query(variant))
    async with LoopWatch() as watch:
        for query in queries:
            refused, _ = await asyncio.gather(
                subscribe_refused(gateway, http, protocol, query, topic),
                another_caller(gateway, http),
            )
            errors = refusal_errors(protocol, refused)
            assert [e["message"] for e in errors] == [EXPANDED]
            assert [e["extensions"]["code"] for e in errors] == ["GRAPHQL_VALIDATION_FAILED"]
    assert watch.longest < 1.0


async def test_a_refusal_is_kept_with_the_document(
    client: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[object] = []
    check = StructuralLimits.check

    def counting(self: StructuralLimits, document: Any) -> Any:
        checked.append(document)
        return check(self, document)

    monkeypatch.setattr(StructuralLimits, "check", counting)
    query = hostile_query("spread three times")
    for _ in range(3):
        assert await client.error_codes(query) == ["GRAPHQL_VALIDATION_FAILED"]
    assert len(checked) == 1  # measured once; the refusal came from the document cache after


@pytest.fixture
def unique() -> Callable[[str], str]:
    return lambda text: f"{text} # {uuid.uuid4().hex}"


async def test_fields_that_merge_quadratically_are_refused(
    client: GraphQLClient, unique: Callable[[str], str]
) -> None:
    # 30 `name`s under each of 30 `topics`: 900 `name`s merged into one selection set.
    many = "{ " + " ".join("topics { " + "name " * 30 + "}" for _ in range(30)) + " }"
    # 60 fragments spread into one selection set, each only spreading one more.
    fragments = "{ topics { " + " ".join(f"...A{i}" for i in range(60)) + " } } "
    fragments += "fragment B on Topic { name } "
    fragments += " ".join(f"fragment A{i} on Topic {{ ...B }}" for i in range(60))
    for query in (many, fragments):
        body = without_request_ids(await client.post(unique(query)))
        assert body["data"] is None
        [error] = body["errors"]
        assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
        assert "(limits.max_field_merges)" in error["message"]
    # Fields selected a few times over, as fragments of a client's components do, are fine.
    few = "{ topics { ...A ...B ...C } } " + " ".join(
        f"fragment {f} on Topic {{ name __typename }}" for f in "ABC"
    )
    assert "topics" in await client.data(unique(few))


async def test_introspection_nested_deeper_than_twice_the_depth_is_refused(
    client: GraphQLClient, unique: Callable[[str], str]
) -> None:
    def nested(levels: int) -> str:
        return '{ __type(name: "Query") { ' + "ofType { " * levels + "name" + " }" * levels + " } }"

    # As deep as the parser allows: it overflowed the cost walk's stack (a server error).
    body = without_request_ids(await client.post(unique(nested(190))))
    assert body["errors"] == [
        {
            "message": "'anonymous' exceeds maximum introspection depth of 20 "
            "(twice limits.max_query_depth)",
            "locations": [{"line": 1, "column": 1}],
            "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
        }
    ]
    assert (await client.data(unique(nested(19))))["__type"]["ofType"] is None


@pytest.fixture
def padded() -> str:
    # A comment, then 30 unknown fields (each error finds its line by scanning the text).
    return "#" + "x" * 40_000 + "\n{ topics { " + " ".join(f"nope{i}" for i in range(30)) + " } }"


async def test_an_oversized_document_is_refused_before_it_is_parsed(
    client: GraphQLClient, padded: str
) -> None:
    answer = await client.raw(padded)
    assert answer.status == 400
    assert without_request_ids(answer.json(), answer.headers["X-Request-ID"]) == {
        "errors": [
            {
                "message": f"the document (`query`) is {len(padded)} bytes: at most 32768 "
                "(limits.max_query_bytes)",
                "extensions": {"code": "BAD_REQUEST"},
            }
        ]
    }
    # Characters count as the bytes they take in UTF-8: 21 + 2 x 16,373 + 1 = 32,768.
    exactly = "{ topics { name } } #" + "é" * 16_373 + "x"
    assert len(exactly.encode()) == 32_768
    assert (await client.raw(exactly)).status == 200
    assert (await client.raw(exactly + "x")).status == 400


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_an_oversized_document_is_refused_over_websockets(
    gateway: RunningGateway, http: aiohttp.ClientSession, protocol: str, padded: str
) -> None:
    reason = (
        f"the document (`query`) is {len(padded)} bytes: at most 32768 (limits.max_query_bytes)"
    )
    async with http.ws_connect(gateway.url, protocols=[protocol]) as ws:
        await ws.send_json({"type": "connection_init", "payload": {}})
        assert (await _receive_json(ws))["type"] == "connection_ack"
        start = "subscribe" if protocol == TRANSPORT_WS else "start"
        await ws.send_json({"id": "1", "type": start, "payload": {"query": padded}})
        if protocol == TRANSPORT_WS:
            with pytest.raises(SocketClosed) as closed:
                await _receive_json(ws)
            assert closed.value.code == 4400
            assert closed.value.reason == reason[:123]
        else:
            answer = await _receive_json(ws)
            assert answer == {
                "type": "error",
                "id": "1",
                "payload": {"message": reason, "extensions": {"code": "BAD_REQUEST"}},
            }
    await another_caller(gateway, http)
