"""The last line of defence on HTTP: an exception no handler expected is logged and answered
as a coded JSON error, never as aiohttp's plain-text "Server got itself in trouble". And bytes
that are not HTTP, which aiohttp's parser refuses before any request exists, are logged as what
they are: the client's mistake, not the server's."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.log import server_logger

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
    except ConnectionResetError:
        # The client went away mid-request, e.g. before sending all the body its Content-Length
        # announced: nothing to log with a traceback, and likely no one left to answer.
        log.info("client left during %s %s", request.method, request.path)
        return _error(400, "BAD_REQUEST", "the connection ended before the request was complete")
    except Exception:
        if request.writer.output_size > 0:
            raise  # the answer has begun (a WebSocket, a stream): aiohttp closes the connection
        log.exception("unexpected error answering %s %s", request.method, request.path)
        return _error(500, "INTERNAL_SERVER_ERROR", "Internal server error")


def _error(status: int, code: str, message: str) -> web.Response:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return web.json_response(body, status=status)


class ParserRefusalsLog(logging.LoggerAdapter[logging.Logger]):
    """aiohttp's server logger (`Application(handler_args={"logger": ...})`), except for what its
    HTTP parser refuses with a 4xx (a request line or header over 8 KiB, framing that is not
    HTTP): aiohttp logs each at ERROR with a traceback, so any caller could fill the logs with
    tracebacks. Those become one INFO line; everything else is logged as aiohttp logs it."""

    def __init__(self) -> None:
        super().__init__(server_logger, {})

    def exception(self, msg: object, *args: object, **kwargs: Any) -> None:
        refused = kwargs.get("exc_info")
        if isinstance(refused, HttpProcessingError) and 400 <= refused.code < 500:
            kwargs.pop("exc_info")
            self.info(f"{msg}: %s %s", *args, refused.code, refused.message[:100])
            return
        super().exception(msg, *args, **kwargs)
