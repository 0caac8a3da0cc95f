"""Subscribers over HTTP streams for the subscriber workers (ws_load.py): GraphQL over SSE
(graphql-sse, distinct connections) and multipart subscriptions (Apollo's protocol), one
streamed request per subscription, counting results without parsing them (a substring count
of each result's head, carried across chunk boundaries)."""

from __future__ import annotations

import json
from collections.abc import Callable

import aiohttp

ACCEPT = {
    "sse": "text/event-stream",
    "multipart": 'multipart/mixed; subscriptionSpec="1.0", application/json',
}
# What starts a result, and what a result that is an error holds.
RESULT = {"sse": "event: next\r\ndata: {", "multipart": '{"payload":'}
ERROR = '"errors":'


async def stream(
    session: aiohttp.ClientSession,
    url: str,
    transport: str,
    query: str,
    variables: dict[str, object],
    on_results: Callable[[int, str], None],
) -> None:
    """Reads one subscription's stream until it ends; `on_results(count, chunk)` after each
    chunk that completed `count` results (0 included when an error came)."""
    marker = RESULT[transport]
    body = json.dumps({"query": query, "variables": variables})
    headers = {"Accept": ACCEPT[transport], "Content-Type": "application/json"}
    async with session.post(url, data=body, headers=headers) as response:
        if response.status != 200:
            on_results(0, f"HTTP {response.status}: {(await response.text())[:300]}")
            return
        tail = ""
        async for chunk in response.content.iter_any():
            text = tail + chunk.decode(errors="replace")
            count = text.count(marker)
            # A marker cut by the chunk's end is counted with the next one.
            keep = len(marker) - 1
            tail = text[-keep:] if marker not in text[-keep:] else ""
            if count or ERROR in text:
                on_results(count, text if ERROR in text else "")
