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

import contextlib
import ipaddress
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from aiohttp import hdrs, web
from aiohttp.typedefs import Middleware

from kafka_graphql.http.errors import RequestError, error_response

if TYPE_CHECKING:  # the settings check `server.allowed_hosts` with this module
    from kafka_graphql.settings import ServerSettings

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
ANY = "*"
HEALTH_PATHS = frozenset({"/healthz", "/readyz"})
_NAME = re.compile(r"[a-z0-9_~-]+(?:\.[a-z0-9_~-]+)*")
_PORT = re.compile(r"[0-9]{0,5}")


class AllowedHostsError(ValueError):
    """`server.allowed_hosts` cannot be used; the message names the key."""


def normal_host(value: str) -> tuple[str, str | None] | None:
    """`host[:port]` as (host lower-cased, IP addresses in their usual form; port or None), or
    None when it is not a valid Host."""
    value = value.lower()
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        host, rest = value[1:end], value[end + 1 :]
        # A zone id (fe80::1%eth0) names an interface of the client's machine, never a server.
        if (rest and not rest.startswith(":")) or "%" in host:
            return None
        try:
            address = ipaddress.IPv6Address(host)
        except ValueError:
            return None
        name = f"[{address.compressed}]"
    else:
        host, colon, port = value.partition(":")
        rest = colon + port
        name = host.removesuffix(".")
        if _NAME.fullmatch(name) is None:
            return None
        # An IPv4 address in its usual form; a name stays as it is.
        with contextlib.suppress(ValueError):
            name = str(ipaddress.IPv4Address(name))
    port_text = rest[1:] if rest else None
    if port_text is not None and (
        _PORT.fullmatch(port_text) is None or int(port_text or 0) > 65535
    ):
        return None
    return name, port_text or None


def is_loopback(host: str) -> bool:
    if host.lower().removesuffix(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts(server: ServerSettings) -> tuple[str, ...]:
    """The names served, normalized: `server.allowed_hosts`, or the loopback names (and the
    address bound) when the gateway listens on loopback; checked at start-up
    (AllowedHostsError names the key)."""
    if server.allowed_hosts is None:
        if not is_loopback(server.host):
            raise AllowedHostsError(
                f"server.allowed_hosts is required when server.host ({server.host!r}) is not a "
                "loopback address: list the names clients reach the gateway by, e.g. "
                '["api.example.com"] (or ["*"] for any, which leaves it open to DNS rebinding)'
            )
        bound = normal_host(f"[{server.host}]" if ":" in server.host else server.host)
        return tuple(dict.fromkeys([*LOOPBACK_NAMES, *([bound[0]] if bound else [])]))
    if not server.allowed_hosts:
        raise AllowedHostsError('server.allowed_hosts must not be empty (["*"] allows any Host)')
    names: list[str] = []
    for i, entry in enumerate(server.allowed_hosts):
        names.append(_entry(i, entry))
    return tuple(names)


def _entry(i: int, entry: str) -> str:
    if entry == ANY:
        return ANY
    wildcard = entry.startswith("*.")
    text = entry[2:] if wildcard else entry
    # An IPv6 address may be written without its brackets here.
    if ":" in text and not text.startswith("["):
        text = f"[{text}]"
    parsed = normal_host(text)
    if parsed is None or parsed[1] is not None or (wildcard and parsed[0].startswith("[")):
        raise AllowedHostsError(
            f'server.allowed_hosts[{i}] must be a host name, "*.<domain>", an IP address or "*" '
            f"(without a port: any port matches), got {entry!r}"
        )
    return f"*.{parsed[0]}" if wildcard else parsed[0]


def host_allowed(names: Sequence[str], value: str) -> bool:
    parsed = normal_host(value)
    if parsed is None:
        return False
    host = parsed[0]
    for name in names:
        if name in (ANY, host) or (name.startswith("*.") and host.endswith(name[1:])):
            return True
    return False


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
