"""Cross-origin HTTP access for browser apps on other origins (CORS).

Nothing is allowed by default. Requests without an Origin header (servers, mobile apps, curl)
are not affected. WebSocket upgrades are checked against the same list by Strawberry's view
(`allowed_origins`), since browsers never preflight them: an upgrade from another origin is
refused with 403 (`FORBIDDEN`) before it happens. The settings keep the origins in the form
browsers send them (`https://app.example`, no default port), so comparing strings is enough.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from aiohttp import hdrs, web
from aiohttp.typedefs import Middleware

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

ALLOWED_METHODS = "GET, POST, OPTIONS"
# Apollo's CSRF headers (http/csrf.py) too: a page on an allowed origin may send them; and its
# own request id (http/request_id.py).
ALLOWED_HEADERS = (
    "Content-Type, Authorization, Accept, Apollo-Require-Preflight, X-Apollo-Operation-Name, "
    "X-Request-ID"
)
# What a page on an allowed origin may read of a response beyond the basics: the request's id.
EXPOSED_HEADERS = "X-Request-ID"
PREFLIGHT_MAX_AGE_S = "600"


def cors_middleware(allowed_origins: Iterable[str]) -> Middleware:
    allowed = frozenset(allowed_origins)
    any_origin = "*" in allowed

    def is_allowed(origin: str) -> bool:
        return any_origin or origin in allowed

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = request.headers.get(hdrs.ORIGIN)
        if origin is None:
            return await handler(request)
        if not is_allowed(origin):
            # Served without CORS headers: the browser keeps the response from the page.
            return await handler(request)
        if (
            request.method == hdrs.METH_OPTIONS
            and hdrs.ACCESS_CONTROL_REQUEST_METHOD in request.headers
        ):
            response: web.StreamResponse = web.Response(status=204)
            response.headers[hdrs.ACCESS_CONTROL_ALLOW_METHODS] = ALLOWED_METHODS
            response.headers[hdrs.ACCESS_CONTROL_ALLOW_HEADERS] = ALLOWED_HEADERS
            response.headers[hdrs.ACCESS_CONTROL_MAX_AGE] = PREFLIGHT_MAX_AGE_S
        else:
            response = await handler(request)
        if not response.prepared:
            response.headers[hdrs.ACCESS_CONTROL_ALLOW_ORIGIN] = origin
            response.headers[hdrs.ACCESS_CONTROL_EXPOSE_HEADERS] = EXPOSED_HEADERS
            response.headers.add(hdrs.VARY, "Origin")
        return response

    return middleware
