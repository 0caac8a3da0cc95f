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


@dataclass
class GraphQLClient:
    session: aiohttp.ClientSession
    url: str

    async def post(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        async with self.session.post(
            self.url, json={"query": query, "variables": dict(variables or {})}
        ) as response:
            body: dict[str, Any] = await response.json()
            return body

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
        self, query: str, variables: Mapping[str, Any] | None = None, protocol: str = TRANSPORT_WS
    ) -> Subscription:
        return Subscription(self.session, self.url, query, dict(variables or {}), protocol)


@dataclass
class Subscription:
    """One subscription on its own WebSocket connection."""

    session: aiohttp.ClientSession
    url: str
    query: str
    variables: dict[str, Any]
    protocol: str
    ws: aiohttp.ClientWebSocketResponse | None = None
    completed: bool = False
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def __aenter__(self) -> Self:
        self.ws = await self.session.ws_connect(self.url, protocols=[self.protocol])
        assert self.ws.protocol == self.protocol
        await self.ws.send_json({"type": "connection_init", "payload": {}})
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
        while True:
            # Bounded, so that a missing message fails the test instead of hanging it.
            message = await self.ws.receive(timeout=30)
            if message.type != aiohttp.WSMsgType.TEXT:
                raise ConnectionError(f"socket closed: {message.type} {message.data}")
            body: dict[str, Any] = json.loads(message.data)
            if body["type"] == "ping":
                await self.ws.send_json({"type": "pong"})
            elif body["type"] not in ("ka", "pong"):
                return body

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
