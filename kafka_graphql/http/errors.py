"""Errors over HTTP, answered as coded JSON: `{"errors": [{"message", "extensions": {"code"}}]}`
(GraphQL over HTTP's shape, on every route), built in one place (`error_body`).

- A request that cannot be served as sent raises RequestError, answered with its 4xx status
  (`error_response`).
- The last line of defence: an exception no handler expected is logged and answered as a coded
  JSON 500, never as aiohttp's plain-text "Server got itself in trouble". And bytes that are not
  HTTP, which aiohttp's parser refuses before any request exists, are logged as what they are:
  the client's mistake, not the server's.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import hdrs, web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.log import server_logger
from aiohttp.typedefs import LooseHeaders

from kafka_graphql.core.request_id import CURRENT_REQUEST_ID

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

REQUEST_ERROR_CODE = "BAD_REQUEST"


def coded_error(
    message: str, code: str, extensions: Mapping[str, object] | None = None
) -> dict[str, Any]:
    """One error as clients read it: its message, and `extensions.code` (after any other
    extensions). Also the payload of a WebSocket error message."""
    return {"message": message, "extensions": {**(extensions or {}), "code": code}}


def error_body(message: str, code: str) -> dict[str, Any]:
    """The JSON body of every error answered over HTTP, with the request's id when it has one
    (`extensions.requestId`, as the response's `X-Request-ID` header)."""
    request_id = CURRENT_REQUEST_ID.get()
    extensions = {"code": code, "requestId": request_id} if request_id else {"code": code}
    return {"errors": [{"message": message, "extensions": extensions}]}


def json_error(
    status: int, message: str, code: str, headers: LooseHeaders | None = None
) -> web.Response:
    return web.json_response(error_body(message, code), status=status, headers=headers)


class RequestError(Exception):
    """A request that cannot be served as sent; `status` is its HTTP answer, `code` its
    `extensions.code`."""

    def __init__(
        self,
        message: str,
        status: int = 400,
        allow: str | None = None,
        code: str = REQUEST_ERROR_CODE,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.allow = allow
        self.code = code


def error_response(error: RequestError) -> web.Response:
    headers = {hdrs.ALLOW: error.allow} if error.allow else None
    return json_error(error.status, error.message, error.code, headers)


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
        message = "the connection ended before the request was complete"
        return json_error(400, message, REQUEST_ERROR_CODE)
    except Exception:
        if request.writer.output_size > 0:
            raise  # the answer has begun (a WebSocket, a stream): aiohttp closes the connection
        log.exception("unexpected error answering %s %s", request.method, request.path)
        return json_error(500, "Internal server error", "INTERNAL_SERVER_ERROR")


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
