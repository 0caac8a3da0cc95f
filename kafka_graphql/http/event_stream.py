"""What every HTTP face's long-lived streams share: the REST face's push (rest/push.py) and
GraphQL over SSE and multipart (graphql/streams.py). Their items paced with keep-alives and
checks that the client is still there (aiohttp tells a handler nothing when the client of a
request goes away), writes that give up on a client that stopped reading, and Server-Sent
Events as they go on the wire."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from typing import TypeVar

from aiohttp import hdrs, web

EVENT_STREAM = "text/event-stream"
STREAM_HEADERS = {
    hdrs.CONTENT_TYPE: EVENT_STREAM,
    hdrs.CACHE_CONTROL: "no-cache",
    # nginx would otherwise hold events back in its buffer.
    "X-Accel-Buffering": "no",
}
# A comment line: ignored by every client, enough to keep a proxy from closing an idle stream.
KEEP_ALIVE = b":\n\n"
# How often an idle stream looks whether its client is still there: the longest it holds a gone
# client's share.
CLIENT_CHECK_S = 1.0

T = TypeVar("T")


async def paced(
    request: web.Request, source: AsyncIterator[T], period: float
) -> AsyncGenerator[T | None, None]:
    """The items of `source`, and None each time it has been quiet for `period` (the moment for a
    keep-alive); ends when `source` does or when the client has gone. Each item is awaited in a
    task of its own, which the end of this generator cancels and awaits."""
    loop = asyncio.get_running_loop()
    next_item: asyncio.Future[T] | None = None
    try:
        quiet_since = loop.time()
        while True:
            if next_item is None:
                next_item = asyncio.ensure_future(anext(source))
            wait = min(CLIENT_CHECK_S, quiet_since + period - loop.time())
            done, _ = await asyncio.wait({next_item}, timeout=max(wait, 0))
            if not done:
                transport = request.transport
                if transport is None or transport.is_closing():
                    return
                if loop.time() >= quiet_since + period:
                    quiet_since = loop.time()
                    yield None
                continue
            finished, next_item = next_item, None
            try:
                item = finished.result()
            except StopAsyncIteration:
                return
            quiet_since = loop.time()
            yield item
    finally:
        if next_item is not None:
            next_item.cancel()
            with contextlib.suppress(BaseException):
                await next_item


async def write_within(
    request: web.Request, response: web.StreamResponse, data: bytes, stall_s: float
) -> None:
    """Writes `data`; a client that has not taken it within `stall_s` (it stopped reading, or
    its host is gone and does not acknowledge) has its connection aborted, and this raises
    ConnectionResetError, as a write to a client that went away does."""
    try:
        async with asyncio.timeout(stall_s):
            await response.write(data)
    except TimeoutError:
        transport = request.transport
        if transport is not None:
            transport.abort()
        raise ConnectionResetError("the client took nothing for too long") from None


def sse(
    data: str, event_id: str | None = None, event: str | None = None, retry: int | None = None
) -> bytes:
    """One event; `data` is one line (JSON as the gateway writes it has no newline)."""
    lines = []
    if event is not None:
        lines.append(f"event: {event}")
    if event_id is not None:
        lines.append(f"id: {event_id}")
    if retry is not None:
        lines.append(f"retry: {retry}")
    lines.append(f"data: {data}")
    return ("\n".join(lines) + "\n\n").encode()
