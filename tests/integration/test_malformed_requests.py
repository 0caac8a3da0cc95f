"""Malformed requests, over raw HTTP and both WebSocket subprotocols: each one gets its exact,
coded answer (docs/api.md, "Request errors"), and the gateway keeps serving afterwards."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from yarl import URL

from tests.clients import LEGACY_WS, TRANSPORT_WS, GraphQLClient
from tests.integration.conftest import RunningGateway, TopicFactory
from tests.integration.helpers import PRODUCE

TOPICS = '{"query": "{ topics { name } }"}'
SUBSCRIPTION = 'subscription { messages(topic: "test-none") { offset } }'


async def assert_still_serving(gateway: RunningGateway, http: aiohttp.ClientSession) -> None:
    async with http.get(gateway.url.removesuffix("/graphql") + "/healthz") as response:
        assert response.status == 200
    # A query that reaches the cluster's metadata, and costs one point of the budget every test
    # of this module shares (listing every topic costs a page: limits.md).
    data = await GraphQLClient(http, gateway.url).data('{ topic(name: "test-none") { name } }')
    assert data == {"topic": None}


def assert_request_error(body: dict[str, Any], message_part: str) -> None:
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST", error
    assert message_part in error["message"], error
    assert len(error["message"]) < 200
    assert "Traceback" not in json.dumps(body) and "Error:" not in error["message"]


@dataclass(frozen=True)
class HttpCase:
    status: int
    message: str
    method: str = "POST"
    body: bytes = b""
    content_type: str | None = "application/json"
    query_string: str = ""  # raw, sent exactly as written
    allow: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


DEEP = b'{"query": "{ topics { name } }", "variables": {"v": ' + b"[" * 100_000 + b"]" * 100_000
MUTATION_QS = "query=" + quote('mutation { produce(topic: "test-x", value: 1) { offset } }')

HTTP_CASES = {
    "empty body": HttpCase(400, "not valid JSON"),
    "malformed JSON": HttpCase(400, "not valid JSON", body=b'{"query": '),
    "JSON array, batching off": HttpCase(
        400, "batched requests", body=b"[" + TOPICS.encode() + b"]"
    ),
    "JSON string body": HttpCase(400, "must be a JSON object", body=b'"{ topics { name } }"'),
    "JSON number body": HttpCase(400, "must be a JSON object", body=b"42"),
    "JSON null body": HttpCase(400, "must be a JSON object", body=b"null"),
    "no query": HttpCase(400, "no `query`", body=b'{"variables": {}}'),
    "query not a string": HttpCase(400, "`query` must be a string", body=b'{"query": 1}'),
    "variables not an object": HttpCase(
        400,
        "`variables` must be an object",
        body=b'{"query": "{ topics { name } }", "variables": [1]}',
    ),
    "extensions not an object": HttpCase(
        400,
        "`extensions` must be an object",
        body=b'{"query": "{ topics { name } }", "extensions": "x"}',
    ),
    "operationName not a string": HttpCase(
        400,
        "`operationName` must be a string",
        body=b'{"query": "{ topics { name } }", "operationName": 5}',
    ),
    "unknown operationName": HttpCase(
        400,
        'no operation named "Nope"',
        body=b'{"query": "query A { topics { name } }", "operationName": "Nope"}',
    ),
    "very long unknown operationName": HttpCase(
        400,
        "no operation named",
        body=json.dumps(
            {"query": "query A { topics { name } }", "operationName": "N" * 100_000}
        ).encode(),
    ),
    "several operations, no operationName": HttpCase(
        400,
        "operationName",
        body=b'{"query": "query A { topics { name } } query B { topics { name } }"}',
    ),
    "variables nested 100,000 deep": HttpCase(400, "nested too deeply", body=DEEP + b"}}"),
    "NaN in variables": HttpCase(
        400,
        "NaN is not a JSON value",
        body=b'{"query": "{ topics { name } }", "variables": {"v": NaN}}',
    ),
    "Infinity in variables": HttpCase(
        400,
        "Infinity is not a JSON value",
        body=b'{"query": "{ topics { name } }", "variables": {"v": -Infinity}}',
    ),
    "number beyond a double": HttpCase(
        400, "out of the range", body=b'{"query": "{ topics { name } }", "variables": {"v": 1e999}}'
    ),
    "integer of 5,000 digits": HttpCase(
        400,
        "too many digits",
        body=b'{"query": "{ topics { name } }", "variables": {"v": ' + b"9" * 5000 + b"}}",
    ),
    "duplicate keys": HttpCase(
        400, "same key twice", body=b'{"query": "{ nope }", "query": "{ topics { name } }"}'
    ),
    "not UTF-8 in the query": HttpCase(
        400, "not valid UTF-8", body=b'{"query": "{ topics { name } } # \xff"}'
    ),
    "not UTF-8 in a key": HttpCase(
        400,
        "not valid UTF-8",
        body=b'{"query": "{ topics { name } }", "variables": {"key": "k\xc3"}}',
    ),
    "not UTF-8 in a header value": HttpCase(
        400,
        "not valid UTF-8",
        body=b'{"query": "{ topics { name } }", "variables": {"headers": [{"key": "h", "value": '
        b'"\xfe\xff"}]}}',
    ),
    "body over the size limit": HttpCase(
        413, "larger than", body=b'{"query": "' + b" " * 1_100_000 + b'{ topics { name } }"}'
    ),
    "unsupported content type": HttpCase(
        415, "application/json", body=TOPICS.encode(), content_type="application/xml"
    ),
    # Without the header, a CSRF refusal comes first (test_browser_safety.py).
    "no content type": HttpCase(
        415,
        "application/json",
        body=TOPICS.encode(),
        content_type=None,
        headers={"Apollo-Require-Preflight": "true"},
    ),
    "charset other than utf-8": HttpCase(
        415, "utf-8", body=TOPICS.encode(), content_type="application/json; charset=latin-1"
    ),
    "GET without query": HttpCase(400, "no `query`", method="GET", query_string="variables=%7B%7D"),
    "GET with malformed variables": HttpCase(
        400,
        "`variables` is not valid JSON",
        method="GET",
        query_string="query=%7B%20topics%20%7B%20name%20%7D%20%7D&variables=%7B",
    ),
    "GET with a bad percent-escape": HttpCase(
        400, "percent-escape", method="GET", query_string="query=%zz"
    ),
    "GET with percent-encoded non-UTF-8": HttpCase(
        400, "not valid UTF-8", method="GET", query_string="query=%ff"
    ),
    "GET with a parameter twice": HttpCase(
        400, "more than once", method="GET", query_string="query=a&query=b"
    ),
    "mutation over GET": HttpCase(
        405, "POST", method="GET", query_string=MUTATION_QS, allow="POST"
    ),
    "PUT": HttpCase(405, "GET and POST", method="PUT", body=TOPICS.encode(), allow="GET, POST"),
    "DELETE": HttpCase(405, "GET and POST", method="DELETE", allow="GET, POST"),
    "PATCH": HttpCase(405, "GET and POST", method="PATCH", body=TOPICS.encode(), allow="GET, POST"),
}


@pytest.mark.parametrize("case", HTTP_CASES.values(), ids=HTTP_CASES.keys())
async def test_malformed_http_request_is_answered_with_a_coded_json_error(
    case: HttpCase, gateway: RunningGateway, http: aiohttp.ClientSession
) -> None:
    url = URL(
        f"{gateway.url}?{case.query_string}" if case.query_string else gateway.url, encoded=True
    )
    headers = {"Accept": "application/json", **case.headers}
    if case.content_type is not None:
        headers["Content-Type"] = case.content_type
    # skip_auto_headers: so that "no content type" really sends none.
    async with http.request(
        case.method,
        url,
        data=io.BytesIO(case.body) if case.body else None,
        headers=headers,
        skip_auto_headers={"Content-Type"},
    ) as response:
        assert response.status == case.status
        assert response.headers.get("Allow") == case.allow
        assert response.content_type == "application/json"
        assert_request_error(await response.json(), case.message)
    await assert_still_serving(gateway, http)


async def test_head_is_refused_with_allow(
    gateway: RunningGateway, http: aiohttp.ClientSession
) -> None:
    async with http.head(gateway.url) as response:  # a HEAD answer has no body
        assert response.status == 405
        assert response.headers["Allow"] == "GET, POST"
    await assert_still_serving(gateway, http)


async def _raw_http(gateway: RunningGateway, request: bytes, half_close: bool = False) -> bytes:
    """For bytes aiohttp's client refuses to send: the request written by hand."""
    url = URL(gateway.url)
    reader, writer = await asyncio.open_connection(url.host, url.port)
    try:
        writer.write(request)
        if half_close:
            writer.write_eof()
        await writer.drain()
        return await asyncio.wait_for(reader.read(), 30)  # the server closes: Connection: close
    finally:
        writer.close()
        await writer.wait_closed()


def _post(headers: bytes, body: bytes, content_length: int | None = None) -> bytes:
    length = len(body) if content_length is None else content_length
    return (
        b"POST /graphql HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        + headers
        + b"Content-Length: %d\r\n\r\n" % length
        + body
    )


def _status_and_body(raw: bytes) -> tuple[int, bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


async def test_a_header_value_that_is_not_utf8_is_served(
    gateway: RunningGateway, http: aiohttp.ClientSession
) -> None:
    """HTTP header values are bytes (obs-text is legal); the gateway reads none it would decode."""
    raw = await _raw_http(
        gateway, _post(b"Content-Type: application/json\r\nX-Trace: \xff\xfe\r\n", TOPICS.encode())
    )
    status, body = _status_and_body(raw)
    assert status == 200 and json.loads(body)["data"]["topics"] is not None
    await assert_still_serving(gateway, http)


async def test_a_content_type_that_is_not_utf8_is_refused(
    gateway: RunningGateway, http: aiohttp.ClientSession
) -> None:
    raw = await _raw_http(
        gateway, _post(b"Content-Type: application/json; charset=\xff\r\n", TOPICS.encode())
    )
    status, body = _status_and_body(raw)
    assert status == 415
    assert_request_error(json.loads(body), "utf-8")
    await assert_still_serving(gateway, http)


async def test_a_body_shorter_than_its_content_length_ends_quietly(
    gateway: RunningGateway, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    """The client stops sending before the announced length: no traceback in the log, no crash."""
    raw = await _raw_http(
        gateway,
        _post(b"Content-Type: application/json\r\n", TOPICS.encode(), 1000),
        half_close=True,
    )
    assert b"Traceback" not in raw
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    await assert_still_serving(gateway, http)


@pytest.mark.parametrize(
    "request_bytes",
    [
        _post(b"Content-Type: application/json\r\n", TOPICS.encode(), 10),
        _post(
            b"Content-Type: application/json\r\nX-Big: " + b"a" * 20_000 + b"\r\n", TOPICS.encode()
        ),
        b"GET /graphql?query="
        + b"%20" * 3000
        + b"{topics{name}} HTTP/1.1\r\nHost: gateway\r\n\r\n",
    ],
    ids=["body longer than its content length", "header over 8 KiB", "request line over 8 KiB"],
)
async def test_broken_http_framing_is_refused_by_aiohttp(
    request_bytes: bytes,
    gateway: RunningGateway,
    http: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No request exists yet, so aiohttp's HTTP parser answers (plain text, no traceback)
    before the gateway sees anything; documented in docs/api.md. Nor is a traceback logged, or
    anything at ERROR: any caller can send such bytes (found by test_hostile_fuzz.py)."""
    caplog.set_level("INFO")
    status, body = _status_and_body(await _raw_http(gateway, request_bytes))
    assert status == 400
    assert b"Traceback" not in body
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert any("Error handling request" in r.getMessage() for r in caplog.records)
    await assert_still_serving(gateway, http)


@dataclass(frozen=True)
class WsCase:
    frames: list[str | bytes]
    close: int | None = None  # the close code expected; None: an error message, socket open
    message_type: str | None = None
    error_part: str = ""
    init: bool = True
    raw_text: list[bytes] = field(default_factory=list)  # text frames with bytes as they are


def _subscribe(kind: str, **message: Any) -> str:
    return json.dumps({"type": kind, **message})


def ws_cases(protocol: str) -> dict[str, WsCase]:
    start = "subscribe" if protocol == TRANSPORT_WS else "start"
    payload = {"query": SUBSCRIPTION}
    common: dict[str, list[str | bytes]] = {
        "not JSON": ["{"],
        "NaN": ['{"type": "connection_init", "payload": {"n": NaN}}'],
        "array": ["[1, 2]"],
        "string": ['"connection_init"'],
        "number": ["7"],
        "null": ["null"],
        "no type": ['{"id": "1"}'],
        "unknown type": ['{"type": "' + "x" * 500 + '"}'],
        f"{start} without id": [_subscribe(start, payload=payload)],
        f"{start} without payload": [_subscribe(start, id="1")],
        f"{start} payload not an object": [_subscribe(start, id="1", payload=[payload])],
        f"{start} query not a string": [_subscribe(start, id="1", payload={"query": 1})],
        f"{start} variables not an object": [
            _subscribe(start, id="1", payload={**payload, "variables": [1]})
        ],
        "binary frame": [b"\x00\x01"],
        "second connection_init": ['{"type": "connection_init"}'],
    }
    if protocol == TRANSPORT_WS:
        expected = {
            "not JSON": WsCase([], close=4400),
            "NaN": WsCase([], close=4400, init=False),
            "array": WsCase([], close=4400),
            "string": WsCase([], close=4400),
            "number": WsCase([], close=4400),
            "null": WsCase([], close=4400),
            "no type": WsCase([], close=4400),
            "unknown type": WsCase([], close=4400),
            "subscribe without id": WsCase([], close=4400),
            "subscribe without payload": WsCase([], close=4400),
            "subscribe payload not an object": WsCase([], close=4400),
            "subscribe query not a string": WsCase([], close=4400),
            "subscribe variables not an object": WsCase([], close=4400),
            "binary frame": WsCase([], close=4400),
            "second connection_init": WsCase([], close=4429),
        }
        extra = {
            "subscribe before connection_init": WsCase(
                [_subscribe(start, id="1", payload=payload)], close=4401, init=False
            ),
            "complete before connection_init": WsCase(
                [_subscribe("complete", id="1")], close=4401, init=False
            ),
            "several operations, no operationName": WsCase(
                [
                    _subscribe(
                        start,
                        id="1",
                        payload={
                            "query": "query A { topics { name } } query B { topics { name } }"
                        },
                    )
                ],
                message_type="error",
                error_part="operationName",
            ),
        }
    else:
        invalid = WsCase([], message_type="error", error_part="Invalid message type")
        expected = {
            "not JSON": WsCase([], message_type="connection_error", error_part="not valid JSON"),
            "NaN": WsCase(
                [], message_type="connection_error", error_part="not valid JSON", init=False
            ),
            "array": invalid,
            "string": invalid,
            "number": invalid,
            "null": invalid,
            "no type": invalid,
            "unknown type": invalid,
            "start without id": WsCase([], close=4400),
            "start without payload": WsCase([], message_type="error", error_part="`payload`"),
            "start payload not an object": WsCase([], message_type="error", error_part="`payload`"),
            "start query not a string": WsCase(
                [], message_type="error", error_part="`payload.query`"
            ),
            "start variables not an object": WsCase(
                [], message_type="error", error_part="`payload.variables`"
            ),
            "binary frame": WsCase([], close=4400),
            "second connection_init": WsCase([], close=4400),
        }
        extra = {
            "start before connection_init": WsCase(
                [_subscribe(start, id="1", payload=payload)], close=4401, init=False
            ),
            "several operations, no operationName": WsCase(
                [
                    _subscribe(
                        start,
                        id="1",
                        payload={
                            "query": "query A { topics { name } } query B { topics { name } }"
                        },
                    )
                ],
                message_type="error",
                error_part="operationName",
            ),
        }
    cases = {
        name: WsCase(frames, e.close, e.message_type, e.error_part, e.init)
        for name, frames in common.items()
        for e in [expected[name]]
    }
    cases.update(extra)
    cases["unknown operationName"] = WsCase(
        [_subscribe(start, id="1", payload={**payload, "operationName": "Nope" * 1000})],
        message_type="error",
        error_part="Nope",
    )
    # aiohttp's max_msg_size (limits.max_request_bytes) closes with 1009, message too big.
    cases["message over the size limit"] = WsCase(
        ['{"type": "' + "x" * 1_100_000 + '"}'], close=1009
    )
    # RFC 6455: text that isn't UTF-8 fails the connection, with 1007 (aiohttp's reader does it).
    cases["text frame not UTF-8"] = WsCase([], close=1007, raw_text=[b'{"type": "\xff"}'])
    return cases


WS_CASES = [
    pytest.param(protocol, case, id=f"{protocol}: {name}")
    for protocol in (TRANSPORT_WS, LEGACY_WS)
    for name, case in ws_cases(protocol).items()
]


async def _next_frame(ws: aiohttp.ClientWebSocketResponse) -> aiohttp.WSMessage:
    while True:
        message = await ws.receive(timeout=30)
        if message.type is aiohttp.WSMsgType.TEXT and json.loads(message.data)["type"] == "ka":
            continue  # the legacy protocol's keep-alive
        return message


@pytest.mark.parametrize(("protocol", "case"), WS_CASES)
async def test_malformed_websocket_message_gets_its_protocol_answer(
    protocol: str, case: WsCase, gateway: RunningGateway, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(gateway.url, protocols=[protocol]) as ws:
        if case.init:
            await ws.send_str('{"type": "connection_init"}')
            assert json.loads((await _next_frame(ws)).data)["type"] == "connection_ack"
        for frame in case.frames:
            if isinstance(frame, bytes):
                await ws.send_bytes(frame)
            else:
                await ws.send_str(frame)
        for raw in case.raw_text:
            await ws.send_frame(raw, aiohttp.WSMsgType.TEXT)
        answer = await _next_frame(ws)
        if case.close is not None:
            assert answer.type is aiohttp.WSMsgType.CLOSE, answer
            assert answer.data == case.close
            assert len((answer.extra or "").encode()) <= 123
        else:
            assert answer.type is aiohttp.WSMsgType.TEXT, answer
            message = json.loads(answer.data)
            assert message["type"] == case.message_type
            errors = message["payload"]
            (error,) = errors if isinstance(errors, list) else [errors]
            assert error["extensions"]["code"] == "BAD_REQUEST"
            assert case.error_part in error["message"]
            if case.message_type == "error":
                # An operation-level refusal: the connection still serves operations (here,
                # one that the resolver answers with NOT_FOUND).
                await ws.send_str(ws_subscribe(protocol))
                data = json.loads((await _next_frame(ws)).data)
                assert data["id"] == "ok" and data["type"] == "error", data
                errors = data["payload"]
                (error,) = errors if isinstance(errors, list) else [errors]
                assert error["extensions"]["code"] == "NOT_FOUND"
    await assert_still_serving(gateway, http)


def ws_subscribe(protocol: str) -> str:
    kind = "subscribe" if protocol == TRANSPORT_WS else "start"
    return _subscribe(kind, id="ok", payload={"query": SUBSCRIPTION})


async def _latest_offset(client: GraphQLClient, topic: str) -> int:
    data = await client.data(
        "query($n: String!) { topic(name: $n) { partitions { latestOffset } } }", {"n": topic}
    )
    return int(data["topic"]["partitions"][0]["latestOffset"])


async def test_nan_and_infinity_never_reach_the_topic(
    client: GraphQLClient, new_topic: TopicFactory, http: aiohttp.ClientSession
) -> None:
    topic = await new_topic()
    for value in (b"NaN", b"Infinity", b"-Infinity", b"1e999", b'{"nested": [NaN]}'):
        body = (
            b'{"query": '
            + json.dumps(PRODUCE).encode()
            + b', "variables": {"topic": "'
            + topic.encode()
            + b'", "value": '
            + value
            + b"}}"
        )
        async with http.post(
            client.url, data=body, headers={"Content-Type": "application/json"}
        ) as r:
            assert r.status == 400
            assert_request_error(await r.json(), "")
    # A literal in the document is valid GraphQL syntax; a float beyond the largest double is
    # refused while validating (graphql/limits/structure.py), before anything runs.
    literal = f'mutation {{ produce(topic: "{topic}", value: {{a: 1e999}}) {{ offset }} }}'
    assert await client.error_codes(literal) == ["GRAPHQL_VALIDATION_FAILED"]
    assert await _latest_offset(client, topic) == 0
    # The topic itself is fine: a finite value is written and read back.
    await client.data(PRODUCE, {"topic": topic, "value": 1.5})
    assert await _latest_offset(client, topic) == 1


async def test_several_operations_need_an_operation_name(
    client: GraphQLClient, new_topic: TopicFactory, http: aiohttp.ClientSession
) -> None:
    topic = await new_topic()
    document = (
        "query Topics { topics { name } } "
        "mutation Write($topic: String!) { produce(topic: $topic, value: 1) { offset } }"
    )
    async with http.post(client.url, json={"query": document, "variables": {"topic": topic}}) as r:
        assert r.status == 400
        assert_request_error(await r.json(), "operationName")
    assert await _latest_offset(client, topic) == 0
    for name, expected in (("Write", {"produce": {"offset": 0}}), ("Topics", None)):
        body = {"query": document, "variables": {"topic": topic}, "operationName": name}
        async with http.post(client.url, json=body) as r:
            assert r.status == 200
            result = await r.json()
        assert "errors" not in result, result
        if expected is not None:
            assert result["data"] == expected
        else:
            assert list(result["data"]) == ["topics"]
    assert await _latest_offset(client, topic) == 1


async def test_a_subscription_id_in_use_closes_with_4409(
    gateway: RunningGateway, http: aiohttp.ClientSession, new_topic: TopicFactory
) -> None:
    topic = await new_topic()
    live = {"query": f'subscription {{ messages(topic: "{topic}") {{ offset }} }}'}
    async with http.ws_connect(gateway.url, protocols=[TRANSPORT_WS]) as ws:
        await ws.send_str('{"type": "connection_init"}')
        assert json.loads((await _next_frame(ws)).data)["type"] == "connection_ack"
        await ws.send_str(_subscribe("subscribe", id="1", payload=live))
        feeds = gateway.kafka.live
        await asyncio.wait_for(feeds.wait_until(lambda: feeds.subscriber_count(topic) == 1), 30)
        await ws.send_str(_subscribe("subscribe", id="1", payload=live))
        answer = await _next_frame(ws)
        assert answer.type is aiohttp.WSMsgType.CLOSE and answer.data == 4409
    await assert_still_serving(gateway, http)
