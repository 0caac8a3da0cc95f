"""The last line of defence on HTTP: an exception no handler expected is logged and answered
as a coded JSON error, never as aiohttp's plain-text "Server got itself in trouble"."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def unexpected_errors_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException:
        raise  # aiohttp's own answers (404, 405 on other routes, ...)
    except Exception:
        if request.writer.output_size > 0:
            raise  # the answer has begun (a WebSocket, a stream): aiohttp closes the connection
        log.exception("unexpected error answering %s %s", request.method, request.path)
        body = {
            "errors": [
                {
                    "message": "Internal server error",
                    "extensions": {"code": "INTERNAL_SERVER_ERROR"},
                }
            ]
        }
        return web.json_response(body, status=500)
