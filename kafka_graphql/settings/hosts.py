"""`server.allowed_hosts`: the Host names the gateway serves, normalised and checked when the
settings load (http/allowed_hosts.py refuses the requests that name another).
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kafka_graphql.settings.server import ServerSettings

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
ANY = "*"
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
