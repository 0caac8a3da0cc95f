"""The pieces every HTTP stream shares (http/event_stream.py), and how GraphQL results are
framed on multipart (graphql/streams.py): keep-alives only while the source is quiet, a stream
that ends when its client has gone, a write that gives up on a client that takes nothing, and
the fatal part that ends a multipart stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

import pytest
from strawberry.http.streaming import MultipartSubscriptionTransport, SSETransport

from kafka_graphql.graphql.streams import MULTIPART_CLOSE, results
from kafka_graphql.http.event_stream import paced, write_within
from kafka_graphql.http.strict_json import dumps


class Transport:
    def __init__(self) -> None:
        self.closing = False
        self.aborted = False

    def is_closing(self) -> bool:
        return self.closing

    def abort(self) -> None:
        self.aborted = True


class Request:
    def __init__(self) -> None:
        self.transport = Transport()


class Stuck:
    """A response whose writes never complete (a client that reads nothing)."""

    async def write(self, data: bytes) -> None:
        await asyncio.Event().wait()


async def test_keep_alives_only_while_quiet_and_the_end_when_the_client_goes() -> None:
    request = Request()
    items: asyncio.Queue[int] = asyncio.Queue()

    async def source() -> AsyncGenerator[int, None]:
        while True:
            yield await items.get()

    seen: list[int | None] = []
    async with aclosing(paced(request, source(), 0.05)) as stream:  # type: ignore[arg-type]
        items.put_nowait(1)
        async for item in stream:
            seen.append(item)
            if item is None and len(seen) >= 3:
                request.transport.closing = True  # the client went away
            elif item is None:
                items.put_nowait(len(seen) + 1)
    assert seen[0] == 1 and None in seen and seen[-1] is None
    assert all(isinstance(i, int) for i in seen if i is not None)


async def test_a_write_the_client_never_takes_aborts_its_connection() -> None:
    request = Request()
    with pytest.raises(ConnectionResetError):
        await write_within(request, Stuck(), b"x", 0.01)  # type: ignore[arg-type]
    assert request.transport.aborted


async def _results(transport: Any, values: list[dict[str, Any]]) -> list[str]:
    async def source() -> AsyncGenerator[dict[str, Any], None]:
        for value in values:
            yield value

    async def process(value: dict[str, Any]) -> dict[str, Any]:
        return value

    stream = results(dumps, process, source(), transport)  # type: ignore[arg-type]
    return [chunk async for chunk in stream()]


async def test_multipart_parts_and_the_fatal_part() -> None:
    ended = {"data": None, "errors": [{"message": "m", "extensions": {"code": "X", "cursor": "c"}}]}
    refused = {"data": None, "errors": [{"message": "m", "extensions": {"code": "BAD"}}]}
    chunks = await _results(MultipartSubscriptionTransport(), [{"data": {"a": 1}}, refused, ended])
    bodies = [chunk.split("\r\n\r\n", 1)[1].removesuffix("\r\n--graphql") for chunk in chunks[:-1]]
    assert bodies == [
        '{"payload":{"data":{"a":1}}}',
        dumps({"payload": refused}),
        dumps({"payload": None, "errors": ended["errors"]}),
    ]
    assert chunks[0].startswith("\r\nContent-Type: application/json; charset=utf-8\r\n")
    assert chunks[-1] == MULTIPART_CLOSE


async def test_sse_events() -> None:
    chunks = await _results(SSETransport(), [{"data": {"a": 1}}])
    assert chunks == [
        'event: next\r\ndata: {"data":{"a":1}}\r\n\r\n',
        "event: complete\r\ndata: \r\n\r\n",
    ]
