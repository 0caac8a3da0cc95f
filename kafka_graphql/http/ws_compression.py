"""WebSocket compression as `server.websocket_compression` says (docs/configuration.md).

"off" does not negotiate permessage-deflate at all. "on" negotiates it with clients that offer it
(browsers and most libraries do), and then compresses only the frames of at least
`server.websocket_compression_min_bytes`: deflate costs CPU on every frame and saves little on
small ones. RFC 7692 lets a sender leave any message uncompressed (RSV1 unset), so smaller frames
are written as they are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp._websocket.writer import WS_CONTROL_FRAME_OPCODE, WebSocketWriter

from kafka_graphql.http.ws_heartbeat import HeartbeatWebSocketResponse

if TYPE_CHECKING:
    from aiohttp.web_request import BaseRequest

    from kafka_graphql.settings import ServerSettings


class _SmallFramesPlain(WebSocketWriter):
    """aiohttp's writer, except that data frames under `min_bytes` go out uncompressed.

    Uses the writer's private parts (its send lock, frame writer and flow control), as aiohttp
    3.14 has them; tests/integration/test_ws_compression.py reads each frame's RSV1 bit on the
    wire, so an upgrade that changes them fails there."""

    min_bytes = 0

    async def send_frame(self, message: bytes, opcode: int, compress: int | None = None) -> None:
        if len(message) >= self.min_bytes or opcode >= WS_CONTROL_FRAME_OPCODE or self._closing:
            await super().send_frame(message, opcode, compress)
            return
        if self._send_lock.locked():
            # Behind a larger frame still being compressed (in an executor): order is kept.
            async with self._send_lock:
                self._write_websocket_frame(message, opcode, 0)
        else:
            self._write_websocket_frame(message, opcode, 0)
        if self._output_size > self._limit:
            self._output_size = 0
            if self.protocol._paused:
                await self.protocol._drain_helper()


class _GatewayWebSocketResponse(HeartbeatWebSocketResponse):
    def __init__(self, *, min_compressed_bytes: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._min_compressed_bytes = min_compressed_bytes

    def _pre_start(self, request: BaseRequest) -> tuple[str | None, WebSocketWriter]:
        protocol, writer = super()._pre_start(request)
        if writer.compress and self._min_compressed_bytes > 0:
            plain = _SmallFramesPlain(
                writer.protocol,
                writer.transport,
                compress=writer.compress,
                notakeover=writer.notakeover,
                limit=writer._limit,
            )
            plain.min_bytes = self._min_compressed_bytes
            writer = plain
        return protocol, writer


def websocket_response(
    server: ServerSettings, protocols: list[str], max_msg_size: int
) -> web.WebSocketResponse:
    """An unprepared WebSocket response that compresses as `server` says, with its heartbeat
    (http/ws_heartbeat.py)."""
    heartbeat = server.websocket_heartbeat_s
    if server.websocket_compression == "off":
        return HeartbeatWebSocketResponse(
            protocols=protocols, max_msg_size=max_msg_size, compress=False, heartbeat=heartbeat
        )
    return _GatewayWebSocketResponse(
        protocols=protocols,
        max_msg_size=max_msg_size,
        min_compressed_bytes=server.websocket_compression_min_bytes,
        heartbeat=heartbeat,
    )
