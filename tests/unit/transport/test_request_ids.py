"""Request ids (http/request_id.py): the caller's `X-Request-ID` when it is sane, else a new one;
returned in every response's header, a WebSocket's handshake included, and in
`extensions.requestId` of the errors of an operation or a request."""

from __future__ import annotations

import re

import aiohttp
import pytest

from kafka_graphql.http.request_id import request_id
from tests.clients import TRANSPORT_WS, GraphQLClient
from tests.gateways import RunningGateway

NEW = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize(
    "given",
    [
        "4bf92f35-77b3-4da6-a3ce-929d0e0e4736",
        "req-1",
        "Root=1-67891233-abcdef012345678912345678",
        "a/b:c.d_e+f=g@h",
        "x" * 128,
    ],
)
def test_a_sane_id_is_kept(given: str) -> None:
    assert request_id(given) == given


@pytest.mark.parametrize(
    "given",
    [None, "", "x" * 129, "two words", "line\nbreak", 'quote"d', "tab\t", "caf\u00e9", "{json}"],
)
def test_anything_else_is_replaced(given: str | None) -> None:
    made = request_id(given)
    assert NEW.fullmatch(made) and made != request_id(given)


async def test_every_answer_names_its_request(
    gateway: RunningGateway, http: aiohttp.ClientSession, client: GraphQLClient
) -> None:
    base = gateway.url.removesuffix("/graphql")
    for url in (f"{base}/healthz", f"{base}/nowhere", gateway.url):
        async with http.get(url, headers={"X-Request-ID": "req-42"}) as response:
            assert response.headers["X-Request-ID"] == "req-42", url
        async with http.get(url, headers={"X-Request-ID": "not sane"}) as response:
            assert NEW.fullmatch(response.headers["X-Request-ID"]), url
    # A coded error over HTTP (here: an operation without a query) names it too.
    answer = await client.raw("", headers={"X-Request-ID": "req-43"})
    assert answer.status == 400
    assert answer.json()["errors"][0]["extensions"]["requestId"] == "req-43"
    assert answer.headers["X-Request-ID"] == "req-43"


async def test_operation_errors_name_the_request(
    gateway: RunningGateway, client: GraphQLClient
) -> None:
    answer = await client.raw("{ nope }", headers={"X-Request-ID": "req-44"})
    (error,) = answer.json()["errors"]
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED", "requestId": "req-44"}
    # Over a WebSocket, the id of its handshake (the one request it is).
    handshakes: list[str] = []

    async def answered(_: object, __: object, sent: aiohttp.TraceRequestEndParams) -> None:
        handshakes.append(sent.response.headers["X-Request-ID"])

    trace = aiohttp.TraceConfig()
    trace.on_request_end.append(answered)
    async with (
        aiohttp.ClientSession(trace_configs=[trace]) as session,
        session.ws_connect(
            gateway.url, protocols=[TRANSPORT_WS], headers={"X-Request-ID": "req-45"}
        ) as ws,
    ):
        await ws.send_json({"type": "connection_init"})
        assert (await ws.receive_json(timeout=10))["type"] == "connection_ack"
        await ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": "{ nope }"}})
        refusal = await ws.receive_json(timeout=10)
    assert handshakes == ["req-45"]
    assert refusal["type"] == "error"
    (error,) = refusal["payload"]
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED", "requestId": "req-45"}
