"""Malformed requests over raw HTTP: each one gets its exact, coded answer (docs/api.md,
"Request errors"), made before any Kafka call, and the gateway keeps serving afterwards
(WebSockets: test_malformed_websocket.py; with records written or read:
tests/integration/test_malformed_requests.py)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from dataclasses import dataclass, field
from urllib.parse import quote

import aiohttp
import pytest
from yarl import URL

from tests.gateways import RunningGateway
from tests.kafka_stand_in import NotReached
from tests.unit.transport.answers import assert_request_error, assert_still_serving

TOPICS = '{"query": "{ topics { name } }"}'


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
    gateway: RunningGateway, http: aiohttp.ClientSession, kafka: NotReached
) -> None:
    """HTTP header values are bytes (obs-text is legal); the gateway reads none it would decode.
    The query is served: over the stand-in, from the metadata of a cluster without topics."""
    with kafka.empty_cluster():
        raw = await _raw_http(
            gateway,
            _post(b"Content-Type: application/json\r\nX-Trace: \xff\xfe\r\n", TOPICS.encode()),
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
