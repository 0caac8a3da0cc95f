"""`server.allowed_hosts`: the names the gateway answers to, against DNS rebinding.

A web page on attacker.example can make the victim's browser resolve attacker.example to
127.0.0.1 (or to any address of the victim's network) and then call the gateway there as a
same-origin page: CORS does not apply, and an open or `anonymous_scopes` gateway answers. The
browser still sends `Host: attacker.example`, so a gateway that answers only the names it is
reached by stops it. Any other Host gets 421 (Misdirected Request) with a coded JSON body, on
every route and on the WebSocket upgrade, except the health probes (`/healthz`, `/readyz`):
orchestrators call them by the pod's address, and they tell nothing.

An entry is a host name or an IP address (IPv6 in brackets), matched whatever the port and the
case; `*.example.com` matches the names under example.com; `*` matches any Host (no protection).
A request without Host (HTTP/1.0; HTTP/1.1 requires it, and aiohttp answers 400 without one) did
not come from a browser, which always sends it: rebinding needs a browser, so it is served.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from aiohttp import hdrs, web
from aiohttp.typedefs import Middleware

from kafka_graphql.http.errors import RequestError, error_response
from kafka_graphql.settings.hosts import ANY, host_allowed

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

HEALTH_PATHS = frozenset({"/healthz", "/readyz"})


def allowed_hosts_middleware(names: Sequence[str]) -> Middleware:
    any_host = ANY in names

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if any_host or request.path in HEALTH_PATHS:
            return await handler(request)
        sent = request.headers.get(hdrs.HOST)
        # An absolute-form request target names the host too (and aiohttp serves by it).
        for value in () if sent is None else {sent, request.host}:
            if not host_allowed(names, value):
                return error_response(
                    RequestError(
                        "this gateway does not serve the host this request names "
                        "(server.allowed_hosts)",
                        status=421,
                    )
                )
        return await handler(request)

    return middleware
