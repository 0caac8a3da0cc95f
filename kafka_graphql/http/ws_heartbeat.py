"""WebSocket heartbeats (`server.websocket_heartbeat_s`, docs/operations.md#heartbeats).

A phone that loses its signal without a TCP reset leaves its socket open on the server until the
kernel gives up, minutes to hours later, with everything the connection holds. aiohttp's own
heartbeat sends a ping frame once nothing has come from the client for a period; here its pong
must come back within the same period (aiohttp waits half of one), and a socket whose pong does
not is closed with 1011 and its transport aborted at once: aiohttp closes it gracefully, which
waits for the send buffer to drain, and a peer that does not acknowledge never drains it. The
handler's read loop ends as it does for a closed socket, and releases what the connection held.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

# RFC 6455 7.4.1: the server met a condition that prevented it from going on (no pong).
NO_PONG = 1011


class HeartbeatWebSocketResponse(web.WebSocketResponse):
    def __init__(self, *, heartbeat: float | None = None, **kwargs: Any) -> None:
        super().__init__(heartbeat=heartbeat, **kwargs)
        if heartbeat is not None:
            self._pong_heartbeat = heartbeat

    def _pong_not_received(self) -> None:
        request = self._req
        transport = request.transport if request is not None else None
        super()._pong_not_received()
        if transport is not None:
            self._close_code = NO_PONG
            transport.abort()
