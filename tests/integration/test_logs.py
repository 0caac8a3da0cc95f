"""The log lines and the audit log of a scripted session, end to end: a real gateway over the real
broker, real clients (HTTP and WebSocket), logging set up as at start-up (JSON, the audit log
on). Each kind of line and each audit event is checked field by field, and no line holds a
token, a message's value, key or header, or a variable
(docs/operations.md#logs, #audit-log)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest

from kafka_graphql.dev.cursor_key import DEV_CURSOR_KEYS_ENV
from kafka_graphql.observability.logs.operations import LOGGER
from kafka_graphql.observability.logs.setup import AUDIT_LOGGER
from kafka_graphql.settings import Settings, settings_from_mapping
from tests.clients import TRANSPORT_WS, Subscription
from tests.integration.auth import key_files_fixture  # noqa: F401 (a fixture)
from tests.integration.conftest import TopicFactory, run_gateway
from tests.logs import Captured, captured_logs
from tests.tokens import AUDIENCE, ISSUER, claims, rsa_pair

# What no line may hold, whoever wrote it.
VALUE, KEY, HEADER, VARIABLE = "value-7f3a91", "key-91bc2e", "header-c4d25a", "variable-55e1d0"
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
DIGEST = re.compile(r"[0-9a-f]{16}")

PAGE = "query Page($t: String!) { messages(topic: $t, limit: 5) { messages { offset } } }"
OVER = """query Over($t: String!) {
  messages(topic: $t, limit: 200) { messages { headers { key } } }
}"""
WRITE = """mutation Write($t: String!, $v: JSON!, $k: String, $h: [HeaderInput!]) {
  produce(topic: $t, value: $v, key: $k, headers: $h) { offset }
}"""
FEED = """subscription Feed($t: String!, $f: MessageFilter) {
  messages(topic: $t, filter: $f, fromOffset: 0) { offset value key headers { key value } }
}"""
FILTERED = """query Filtered($t: String!, $f: MessageFilter) {
  messages(topic: $t, filter: $f, limit: 5) { hasMore }
}"""


def session_settings(bootstrap: str, public_key_file: Path) -> Settings:
    return settings_from_mapping(
        {
            "kafka": {"bootstrap_servers": bootstrap, "metadata_max_age_s": 0},
            "server": {"shutdown_grace_s": 2, "cursor_keys_env": DEV_CURSOR_KEYS_ENV},
            "limits": {"max_query_cost": 600},
            "auth": {
                "algorithms": ["RS256"],
                "issuer": ISSUER,
                "audience": AUDIENCE,
                "public_key_file": str(public_key_file),
            },
            "topics": [{"name": "test-*"}],
            "logging": {"format": "json", "audit": True},
        }
    )


@dataclass
class Caller:
    """Asks the gateway over HTTP as the bearer of a token, each request with an id of the
    test's; keeps each answer (its status and body) and the bytes sent, by request id."""

    http: aiohttp.ClientSession
    url: str
    answers: dict[str, tuple[int, bytes, bytes]] = field(default_factory=dict)

    async def post(self, request_id: str, token: str, query: str, **variables: Any) -> None:
        sent = json.dumps({"query": query, "variables": variables}).encode()
        headers = {
            **self._headers(request_id, token),
            "Content-Type": "application/json",
            "traceparent": f"00-{TRACE}-00f067aa0ba902b7-01",
        }
        async with self.http.post(self.url, data=sent, headers=headers) as response:
            assert response.headers["X-Request-ID"] == request_id
            self.answers[request_id] = response.status, await response.read(), sent

    async def get(self, request_id: str, token: str, query: str, **variables: Any) -> None:
        """Variables in the query string, where aiohttp's access lines would show them."""
        params = {"query": query, "variables": json.dumps(variables)}
        headers = self._headers(request_id, token)
        async with self.http.get(self.url, params=params, headers=headers) as response:
            self.answers[request_id] = response.status, await response.read(), b""

    def _headers(self, request_id: str, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}", "X-Request-ID": request_id}


def writing(topic: str) -> dict[str, Any]:
    """A write's variables: what no line may show."""
    return {"t": topic, "v": {"secret": VALUE}, "k": KEY, "h": [{"key": "h", "value": HEADER}]}


@asynccontextmanager
async def feed(url: str, token: str, topic: str) -> AsyncIterator[Subscription]:
    """A subscription on a WebSocket whose handshake is request `req-feed`."""
    async with (
        aiohttp.ClientSession(headers={"X-Request-ID": "req-feed"}) as http,
        Subscription(
            http,
            url,
            FEED,
            {"t": topic, "f": {"keyPrefix": KEY[:4]}},
            TRANSPORT_WS,
            {"Authorization": f"Bearer {token}"},
        ) as subscription,
    ):
        yield subscription


def only(lines: list[dict[str, Any]], **match: Any) -> dict[str, Any]:
    """The one line with these fields."""
    found = [line for line in lines if all(line.get(k) == v for k, v in match.items())]
    assert len(found) == 1, (match, found)
    return found[0]


def audit_head(kind: str, principal: str, request_id: str, decision: str | None) -> dict[str, Any]:
    return {
        "type": kind,
        "logger": AUDIT_LOGGER,
        "principal": principal,
        "source_ip": "127.0.0.1",
        "request_id": request_id,
        "decision": decision,
    }


async def oversized_header(url: str) -> None:
    """A header over 8 KiB: aiohttp's parser refuses it before any request exists, and aiohttp
    logs it (the gateway's ParserRefusalsLog makes that one INFO line)."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: gateway\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n")
    await writer.drain()
    await reader.read()  # until the gateway closes the connection
    writer.close()
    await writer.wait_closed()


@pytest.fixture
def logs() -> Iterator[Captured]:
    with captured_logs() as captured:
        yield captured


async def test_a_session_s_lines_and_audit_events(
    logs: Captured,
    bootstrap: str,
    key_files: tuple[Path, Path],
    new_topic: TopicFactory,
    http: aiohttp.ClientSession,
) -> None:
    topic, hidden = await new_topic(), await new_topic()
    alice = rsa_pair().sign(claims(sub="alice"))
    bob = rsa_pair().sign(claims(sub="bob", scope=f"kafka:read:{topic}"))
    forged = alice[:-4] + ("AAAA" if not alice.endswith("AAAA") else "BBBB")
    secrets = [VALUE, KEY, HEADER, VARIABLE]
    secrets += [t for token in (alice, bob, forged) for t in (token, token.rsplit(".", 1)[1])]
    async with run_gateway(session_settings(bootstrap, key_files[0])) as gateway:
        ask = Caller(http, gateway.url)
        await ask.post("req-page", alice, PAGE, t=topic)
        async with feed(gateway.url, alice, topic) as subscription:
            await ask.post("req-write", alice, WRITE, **writing(topic))
            assert (await subscription.next_message())["value"] == {"secret": VALUE}
        await ask.post("req-forged", forged, PAGE, t=topic)
        await ask.post("req-forbidden", bob, WRITE, **writing(topic))
        await ask.post("req-invisible", bob, PAGE, t=hidden)
        await ask.post("req-over", alice, OVER, t=topic)
        await ask.get("req-get", alice, FILTERED, t=topic, f={"keyPrefix": VARIABLE})
        await oversized_header(gateway.url)
    statuses = {request_id: answer[0] for request_id, answer in ask.answers.items()}
    assert statuses == {
        "req-page": 200,
        "req-write": 200,
        "req-forged": 401,
        "req-forbidden": 200,
        "req-invisible": 200,
        "req-over": 200,
        "req-get": 200,
    }
    for line in logs.lines():
        for secret in secrets:
            assert secret not in line, (secret, line)
    operations = logs.events(LOGGER)
    audit = logs.events(AUDIT_LOGGER)
    check_operation_lines(operations, ask.answers)
    check_websocket_lines(operations)
    check_audit_events(audit, topic, hidden)
    # The libraries' lines and the gateway's own are rendered the same way (every line parsed).
    library = only(logs.json(), logger="aiohttp.server")
    assert library["level"] == "info" and "400" in library["event"]
    monitor = only(logs.json(), logger="kafka_graphql.runtime.loop_monitor")
    assert monitor["event"].startswith("event loop while serving")


def check_operation_lines(
    operations: list[dict[str, Any]], answers: dict[str, tuple[int, bytes, bytes]]
) -> None:
    line = only(operations, event="operation", request_id="req-page")
    assert line.pop("duration_s") > 0
    _, body, sent = answers["req-page"]
    cost = json.loads(body)["extensions"]["cost"]["actualQueryCost"]
    assert line == {
        "level": "info",
        "logger": LOGGER,
        "event": "operation",
        "request_id": "req-page",
        "trace_id": TRACE,
        "principal": "alice",
        "face": "graphql",
        "operation_type": "query",
        "operation_name": "Page",
        "topics": [line["topics"][0]],
        "code": "OK",
        "cost": cost,
        "bytes_in": len(sent),
        "bytes_out": len(body),
    }
    lines = {
        line["request_id"]: line
        for line in operations
        if line["event"] == "operation" and line.get("request_id", "").startswith("req-")
    }
    codes = {request_id: line["code"] for request_id, line in lines.items()}
    assert codes == {
        "req-page": "OK",
        "req-write": "OK",
        "req-feed": "OK",  # the subscription's, when it ended
        "req-forbidden": "FORBIDDEN",
        "req-invisible": "NOT_FOUND",
        "req-over": "COST_LIMIT_EXCEEDED",
        "req-get": "OK",
    }
    assert lines["req-write"]["bytes_in"] == len(answers["req-write"][2])
    # Refused before any operation: the audit log has it, the operation log does not.
    assert [line for line in operations if line.get("request_id") == "req-forged"] == []


def check_websocket_lines(operations: list[dict[str, Any]]) -> None:
    feed = [line for line in operations if line.get("request_id") == "req-feed"]
    for line in feed:
        if "duration_s" in line:
            assert line.pop("duration_s") > 0, line
    opened, started, ended, operation, closed = feed
    stream = {"request_id": "req-feed", "principal": "alice", "operation_name": "Feed"}
    topic, digest = started["topic"], started["filter_hash"]
    assert DIGEST.fullmatch(digest)
    assert opened == {
        "level": "info",
        "logger": LOGGER,
        "event": "connection_opened",
        "transport": TRANSPORT_WS,
        "principal": "anonymous",  # authenticated by connection_init, after the handshake
        "source_ip": "127.0.0.1",
        "request_id": "req-feed",
    }
    assert started == {
        "level": "info",
        "logger": LOGGER,
        "event": "subscription_started",
        **stream,
        "topic": topic,
        "filter_hash": digest,
    }
    assert ended == {
        "level": "info",
        "logger": LOGGER,
        "event": "subscription_ended",
        **stream,
        "topic": topic,
        "filter_hash": digest,
        "code": "OK",
        "deliveries": 1,
        "skipped": 0,
    }
    assert (operation["event"], operation["operation_type"], operation["code"]) == (
        "operation",
        "subscription",
        "OK",
    )
    assert closed == {
        "level": "info",
        "logger": LOGGER,
        "event": "connection_closed",
        "transport": TRANSPORT_WS,
        "principal": "alice",
        "close_code": 1000,
        "request_id": "req-feed",
    }


def check_audit_events(audit: list[dict[str, Any]], topic: str, hidden: str) -> None:
    feed = [event for event in audit if event["request_id"] == "req-feed"]
    digest = feed[0]["filter_hash"]
    assert feed == [
        {
            **audit_head("subscription_opened", "alice", "req-feed", "allow"),
            "reason": None,
            "topic": topic,
            "filter_hash": digest,
        },
        {
            **audit_head("subscription_ended", "alice", "req-feed", None),
            "reason": None,
            "topic": topic,
            "filter_hash": digest,
            "code": "OK",
            "deliveries": 1,
            "skipped": 0,
        },
    ]
    rest = [event for event in audit if event["request_id"] != "req-feed"]
    assert rest == [
        {
            **audit_head("write", "alice", "req-write", "allow"),
            "reason": None,
            "topic": topic,
            "code": "OK",
            "count": 1,
            "partitions": [0],
            "offsets": [0],
        },
        {
            **audit_head("authentication", "anonymous", "req-forged", "deny"),
            "reason": "bad_signature",
            "code": "UNAUTHENTICATED",
        },
        {
            **audit_head("authorization", "bob", "req-forbidden", "deny"),
            "reason": "forbidden",
            "code": "FORBIDDEN",
            "topic": topic,
        },
        {
            **audit_head("authorization", "bob", "req-invisible", "deny"),
            "reason": "invisible_topic",
            "code": "NOT_FOUND",
            "topic": hidden,
        },
        {
            **audit_head("limit", "alice", "req-over", "deny"),
            "reason": "cost_limit_exceeded",
            "code": "COST_LIMIT_EXCEEDED",
        },
    ]
