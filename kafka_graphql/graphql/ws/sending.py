"""What the gateway writes to a WebSocket: frames bounded in bytes per caller, and a message that
cannot be written is that operation's failure alone.

aiohttp writes a frame into the socket's transport at once and only then, when the transport
holds more than its high-water mark, waits for the client to read (aiohttp/_websocket/writer.py,
`send_frame`). Every operation of a socket writes on its own, so a client that does not read
would make the server hold one frame per operation, each up to a few MB, in memory. Here:

- the frames of one socket are written one at a time;
- a caller's frames being written count in its account (core/limits/memory.py) while they are: a
  result waits, before it is even encoded, while the caller's frames hold as much as
  `limits.max_buffered_bytes_per_principal` (one frame is always let through);
- a message that cannot be encoded (or a result that waited while its caller was cut back)
  raises Undeliverable, which the subprotocol's handler answers for that operation alone
  (graphql/ws/); the socket and its other operations go on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from strawberry.aiohttp.views import AiohttpWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected

from kafka_graphql.core.errors import Undeliverable
from kafka_graphql.core.limits.memory import CutBack, Holdings

# RFC 6455 5.5: a close frame's reason fits in 123 bytes.
MAX_CLOSE_REASON_BYTES = 123
# A socket buffer this full stays below the transport's high-water mark (64 KiB), so aiohttp
# writes a frame that leaves it so without waiting for the reader.
AT_ONCE_BYTES = 32 * 1024
# Result messages of both subprotocols: the only ones that wait for their caller's room.
RESULTS = frozenset({"next", "data"})


class GatewayWebSocketAdapter(AiohttpWebSocketAdapter):
    # The caller's account once its connection_init is accepted (graphql/ws/).
    holdings: Holdings | None = None
    _lock: asyncio.Lock | None = None
    _transport: asyncio.Transport | None = None

    async def send_json(self, message: Mapping[str, object]) -> None:
        holdings = self.holdings
        waits = holdings is not None and holdings.frames and holdings.frames_full()
        if waits and _is_result(message):
            assert holdings is not None
            await _room(holdings)
        try:
            data = self.view.encode_json(message)
        except Exception as error:
            raise Undeliverable(error) from error
        await self.send_encoded(data)

    async def send_parts(self, head: str | bytes, payload: str | bytes, tail: str | bytes) -> None:
        """A result frame made of parts (graphql/shared/relay.py), made only once it may be
        written."""
        holdings = self.holdings
        if holdings is not None and holdings.frames and holdings.frames_full():
            await _room(holdings)
        data: str | bytes = head + payload + tail  # type: ignore[operator]
        if holdings is not None and not self._at_once(len(data)):
            await self._send_held(holdings, data)
            return
        # _write(), inline: this is every shared delivery's path.
        try:
            if isinstance(data, bytes):
                await self.ws.send_bytes(data)
            else:
                await self.ws.send_str(data)
        except (RuntimeError, ConnectionError) as exc:
            raise WebSocketDisconnected from exc

    async def send_encoded(self, data: str | bytes) -> None:
        """A message already encoded with the view's `encode_json` (`send_json` without the
        encoding)."""
        holdings = self.holdings
        if holdings is not None and not self._at_once(len(data)):
            await self._send_held(holdings, data)
            return
        await self._write(data)

    def _at_once(self, size: int) -> bool:
        """Whether a frame of `size` leaves the socket's buffer below the point where aiohttp
        waits for the reader: then it is written without waiting (nothing of it is held beyond
        that small buffer once the write returns) and needs neither the account nor the lock.
        Most frames to a client that reads."""
        if self._lock is not None and self._lock.locked():
            return False
        transport = self._transport
        if transport is None:
            transport = self._transport = self.request.transport
            if transport is None:
                return False
        return transport.get_write_buffer_size() + size <= AT_ONCE_BYTES

    async def _send_held(self, holdings: Holdings, data: str | bytes) -> None:
        """Written one frame at a time on this socket, counted in the caller's account while
        it is."""
        held = holdings.charge_frame(len(data))
        try:
            if self._lock is None:
                self._lock = asyncio.Lock()
            async with self._lock:
                await self._write(data)
        finally:
            holdings.frame_done(held)

    async def close(self, code: int, reason: str) -> None:
        # Strawberry puts messages of any length in close reasons (e.g. a syntax error's);
        # aiohttp sends them as they are, an invalid frame when they are longer than 123 bytes.
        clipped = reason.encode()[:MAX_CLOSE_REASON_BYTES].decode(errors="ignore")
        await super().close(code, clipped)

    async def _write(self, data: str | bytes) -> None:
        try:
            if isinstance(data, bytes):
                await self.ws.send_bytes(data)
            else:
                await self.ws.send_str(data)
        except (RuntimeError, ConnectionError) as exc:
            # aiohttp's ClientConnectionResetError, and the ConnectionError its wait for a slow
            # reader raises when that reader goes away.
            raise WebSocketDisconnected from exc


def _is_result(message: Mapping[str, object]) -> bool:
    """A result with data: errors are small, and one that ends a stream must not wait."""
    if message.get("type") not in RESULTS:
        return False
    payload = message.get("payload")
    return not (isinstance(payload, Mapping) and payload.get("errors"))


async def _room(holdings: Holdings) -> None:
    try:
        await holdings.frame_room()
    except CutBack as cut:
        raise Undeliverable(cut.error or cut) from None
