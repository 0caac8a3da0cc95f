"""Authentication over WebSocket: the token in the `connection_init` payload, and the timer
that ends a connection when its token expires."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from typing import Any

from kafka_graphql.core.errors import InvalidToken

log = logging.getLogger(__name__)

# Where clients put the token: GraphiQL and urql (`Authorization` from the Headers tab or
# connectionParams), Apollo Client's docs (`authToken`, `authorization`), and clients that
# mirror HTTP (`headers.Authorization`).
TOP_LEVEL_KEYS = ("Authorization", "authorization", "authToken")
HEADER_KEYS = ("Authorization", "authorization")


def connection_init_token(payload: Mapping[str, Any] | None) -> str | None:
    """The bearer token of a `connection_init` payload, or None when it carries none.

    A value may be the bare token or `Bearer <token>`. Two different tokens are refused rather
    than one of them picked."""
    if not payload:
        return None
    values = [payload[k] for k in TOP_LEVEL_KEYS if k in payload]
    headers = payload.get("headers")
    if isinstance(headers, Mapping):
        values += [headers[k] for k in HEADER_KEYS if k in headers]
    tokens = {_token(value) for value in values}
    if len(tokens) > 1:
        raise InvalidToken("connection_init carries more than one token")
    return tokens.pop() if tokens else None


def _token(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidToken("the token in connection_init must be a string")
    text = value.strip()
    scheme, _, rest = text.partition(" ")
    if rest:
        if scheme.lower() != "bearer":
            raise InvalidToken("the token in connection_init must be `Bearer <token>` or the token")
        text = rest.strip()
    if not text or " " in text:
        raise InvalidToken("the token in connection_init must be `Bearer <token>` or the token")
    return text


class ExpiryTimer:
    """Ends a connection when its token expires: a WebSocket must not outlive the credentials
    it was opened with. One per connection; `stop` when the connection ends."""

    def __init__(
        self,
        deadline: float,
        close: Callable[[], Awaitable[None]],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._closing = False
        self._task = asyncio.create_task(self._run(deadline, close, clock))

    async def _run(
        self, deadline: float, close: Callable[[], Awaitable[None]], clock: Callable[[], float]
    ) -> None:
        await asyncio.sleep(max(0.0, deadline - clock()))
        self._closing = True
        try:
            await close()
        except Exception:  # the connection is ending anyway; its handler cleans up
            log.exception("closing a connection whose token expired")

    async def stop(self) -> None:
        # A close under way is let finish (its close frame is on the wire); a wait is cancelled.
        if not self._closing:
            self._task.cancel()
        with suppress(asyncio.CancelledError):
            await self._task
