"""A small Server-Sent Events client over aiohttp, as the WHATWG parser reads a stream: events
(`event`, `id`, `retry`, `data` fields), comment lines counted apart."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp


@dataclass(frozen=True)
class Event:
    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None

    def json(self) -> Any:
        return json.loads(self.data)


@dataclass
class EventStream:
    response: aiohttp.ClientResponse
    comments: int = 0
    _fields: dict[str, str] = field(default_factory=dict)
    _data: list[str] = field(default_factory=list)

    async def next(self) -> Event | None:
        """The next event; None when the server ended the stream."""
        while True:
            raw = await self.response.content.readline()
            if not raw:
                return None
            line = raw.decode().rstrip("\r\n")
            if not line:
                if self._data or self._fields:
                    event = Event(
                        "\n".join(self._data),
                        self._fields.get("event", "message"),
                        self._fields.get("id"),
                        int(self._fields["retry"]) if "retry" in self._fields else None,
                    )
                    self._fields, self._data = {}, []
                    return event
                continue
            if line.startswith(":"):
                self.comments += 1
                continue
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "data":
                self._data.append(value)
            else:
                self._fields[name] = value

    async def next_comment(self) -> None:
        """Reads up to the next comment line (a heartbeat); no event may come first."""
        comments = self.comments
        while self.comments == comments:
            raw = await self.response.content.readline()
            assert raw, "the stream ended"
            line = raw.decode()
            assert line.startswith(":") or line in ("\n", "\r\n"), line
            if line.startswith(":"):
                self.comments += 1

    async def take(self, count: int) -> list[Event]:
        events: list[Event] = []
        for _ in range(count):
            event = await self.next()
            assert event is not None, f"the stream ended after {len(events)} of {count} events"
            events.append(event)
        return events


@asynccontextmanager
async def event_stream(
    session: aiohttp.ClientSession,
    url: str,
    headers: Mapping[str, str] | None = None,
) -> AsyncIterator[EventStream]:
    """An open stream (status 200 checked); leaving the block drops the connection."""
    sent = {"Accept": "text/event-stream", **(headers or {})}
    async with session.get(url, headers=sent) as response:
        assert response.status == 200, (response.status, await response.text())
        assert response.headers["Content-Type"] == "text/event-stream"
        try:
            yield EventStream(response)
        finally:
            response.close()
