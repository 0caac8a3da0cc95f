"""Small real clients for the tests: GraphQL over HTTP and over both WebSocket protocols."""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import aiohttp

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"


class SocketClosed(ConnectionError):
    """The server closed the WebSocket (or it broke): `code` and `reason` of its close frame."""

    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"socket closed: {code} {reason}")
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class GraphQLClient:
    session: aiohttp.ClientSession
    url: str
    # A bearer token sent with every request (HTTP header; `connection_init` on WebSockets).
    token: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def with_token(self, token: str | None) -> GraphQLClient:
        return GraphQLClient(self.session, self.url, token)

    async def post(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        async with self.session.post(
            self.url,
            json={"query": query, "variables": dict(variables or {})},
            headers=self.headers,
        ) as response:
            body: dict[str, Any] = await response.json()
            return body

    async def raw(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> RawResponse:
        """The whole HTTP answer, with `headers` instead of the client's own."""
        async with self.session.post(
            self.url,
            json={"query": query, "variables": dict(variables or {})},
            headers=dict(self.headers if headers is None else headers),
        ) as response:
            return RawResponse(response.status, dict(response.headers), await response.read())

    async def data(self, query: str, variables: Mapping[str, Any] | None = None) -> Any:
        body = await self.post(query, variables)
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def error_codes(
        self, query: str, variables: Mapping[str, Any] | None = None
    ) -> list[str]:
        body = await self.post(query, variables)
        assert body.get("errors"), body
        for error in body["errors"]:
            assert "Traceback" not in error["message"]
        return [e["extensions"]["code"] for e in body["errors"]]

    def subscribe(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        protocol: str = TRANSPORT_WS,
        init_payload: Mapping[str, Any] | None = None,
        max_msg_size: int = 4 * 1024 * 1024,
    ) -> Subscription:
        """A subscription on its own socket; `connection_init` carries `init_payload`, or the
        client's token as `Authorization`. Messages over `max_msg_size` close the socket
        (aiohttp's default)."""
        if init_payload is None:
            init_payload = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return Subscription(
            self.session,
            self.url,
            query,
            dict(variables or {}),
            protocol,
            dict(init_payload),
            max_msg_size=max_msg_size,
        )

    async def connection_init(
        self, payload: Mapping[str, Any] | None, protocol: str = TRANSPORT_WS
    ) -> tuple[list[dict[str, Any]], SocketClosed | None]:
        """Opens a socket and sends `connection_init`: the messages received up to the
        acknowledgement, or up to the server closing the socket (and how it closed it)."""
        ws = await self.session.ws_connect(self.url, protocols=[protocol])
        received: list[dict[str, Any]] = []
        try:
            message: dict[str, Any] = {"type": "connection_init"}
            if payload is not None:
                message["payload"] = dict(payload)
            await ws.send_json(message)
            while True:
                body = await _receive_json(ws)
                received.append(body)
                if body["type"] == "connection_ack":
                    return received, None
        except SocketClosed as closed:
            return received, closed
        finally:
            await ws.close()


@dataclass
class Subscription:
    """One subscription on its own WebSocket connection."""

    session: aiohttp.ClientSession
    url: str
    query: str
    variables: dict[str, Any]
    protocol: str
    init_payload: dict[str, Any] = field(default_factory=dict)
    max_msg_size: int = 4 * 1024 * 1024
    ws: aiohttp.ClientWebSocketResponse | None = None
    completed: bool = False
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def __aenter__(self) -> Self:
        self.ws = await self.session.ws_connect(
            self.url, protocols=[self.protocol], max_msg_size=self.max_msg_size
        )
        assert self.ws.protocol == self.protocol
        await self.ws.send_json({"type": "connection_init", "payload": self.init_payload})
        ack = await self._receive()
        assert ack["type"] == "connection_ack", ack
        start = "subscribe" if self.protocol == TRANSPORT_WS else "start"
        await self.ws.send_json(
            {
                "id": "1",
                "type": start,
                "payload": {"query": self.query, "variables": self.variables},
            }
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self.ws is not None
        await self.ws.close()

    async def _receive(self) -> dict[str, Any]:
        assert self.ws is not None
        return await _receive_json(self.ws)

    async def next_event(self) -> dict[str, Any]:
        """The next next/data, error or complete message."""
        return await self._receive()

    async def next_message(self, field: str = "messages") -> dict[str, Any]:
        """The next delivered payload of root `field`; fails on anything else."""
        event = await self._receive()
        assert event["type"] in ("next", "data"), event
        assert "errors" not in event["payload"], event["payload"]
        message: dict[str, Any] = event["payload"]["data"][field]
        return message

    async def take(self, count: int, field: str = "messages") -> list[dict[str, Any]]:
        return [await self.next_message(field) for _ in range(count)]


async def _receive_json(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    """The next message other than ping, pong and keep-alive; SocketClosed when the socket
    closes instead."""
    while True:
        # Bounded, so that a missing message fails the test instead of hanging it.
        message = await ws.receive(timeout=30)
        if message.type == aiohttp.WSMsgType.CLOSE:
            raise SocketClosed(message.data, message.extra or "")
        if message.type != aiohttp.WSMsgType.TEXT:
            raise SocketClosed(ws.close_code, f"{message.type} {message.data}")
        body: dict[str, Any] = json.loads(message.data)
        if body["type"] == "ping":
            await ws.send_json({"type": "pong"})
        elif body["type"] not in ("ka", "pong"):
            return body


def without_request_ids(body: Any, request_id: str | None = None) -> Any:
    """A response's body (or its list of errors, or one error) without the
    `extensions.requestId` each error of an operation carries, which must be there: the
    request's id (`request_id` when given, the response's X-Request-ID header). For the tests
    about something else that compare whole errors; tests/integration/test_logs.py checks the
    ids themselves."""
    if isinstance(body, list):
        return [without_request_ids(item, request_id) for item in body]
    if not isinstance(body, dict):
        return body
    if "errors" in body:
        return {**body, "errors": without_request_ids(body["errors"], request_id)}
    extensions = body.get("extensions")
    if "message" not in body or not isinstance(extensions, dict):
        return body
    given = extensions.get("requestId")
    assert isinstance(given, str) and given, body
    assert request_id is None or given == request_id, (given, request_id)
    rest = {key: value for key, value in extensions.items() if key != "requestId"}
    return {**body, "extensions": rest}


JSON_V2 = "application/vnd.kafka.json.v2+json"
BINARY_V2 = "application/vnd.kafka.binary.v2+json"
V2 = "application/vnd.kafka.v2+json"


@dataclass
class RestClient:
    """The REST face (Confluent REST Proxy API v2) over HTTP: whole answers, never raising."""

    session: aiohttp.ClientSession
    # The gateway's root (`http://127.0.0.1:<port>`).
    base: str
    token: str | None = None

    @classmethod
    def of(cls, session: aiohttp.ClientSession, graphql_url: str, token: str | None = None) -> Self:
        return cls(session, graphql_url.removesuffix("/graphql"), token)

    def with_token(self, token: str | None) -> RestClient:
        return RestClient(self.session, self.base, token)

    def _headers(self, extra: Mapping[str, str]) -> dict[str, str]:
        auth = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**auth, **extra}

    async def get(self, path: str, headers: Mapping[str, str] | None = None) -> RawResponse:
        async with self.session.get(self.base + path, headers=self._headers(headers or {})) as r:
            return RawResponse(r.status, dict(r.headers), await r.read())

    async def post(
        self,
        path: str,
        body: object | bytes,
        content_type: str | None = JSON_V2,
        headers: Mapping[str, str] | None = None,
    ) -> RawResponse:
        """`body` as JSON (bytes as they are) with `content_type` (None: no Content-Type)."""
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        sent = self._headers(headers or {})
        if content_type is not None:
            sent["Content-Type"] = content_type
        async with self.session.post(
            self.base + path, data=data, headers=sent, skip_auto_headers=["Content-Type"]
        ) as r:
            return RawResponse(r.status, dict(r.headers), await r.read())

    async def produce(
        self, topic: str, records: list[dict[str, Any]], content_type: str = JSON_V2
    ) -> Any:
        """The offsets of a produce that must succeed."""
        answer = await self.post(f"/topics/{topic}", {"records": records}, content_type)
        assert answer.status == 200, (answer.status, answer.body)
        return answer.json()["offsets"]
