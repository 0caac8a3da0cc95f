"""Origins in the form browsers send them in `Origin`, so that the CORS check compares strings.

Strawberry compares WebSocket origins with `strawberry.http.websocket_origin.normalize_origin`;
this is the same rule, kept here so that the settings import no part of a face
(tests/unit/test_origins.py holds the two to the same answers).
"""

from __future__ import annotations

from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_origin(origin: str) -> str | None:
    """`origin` as browsers send it (scheme and host lower-case, no default port); None for a
    value that is not an origin ("null", "https://[")."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    scheme = parts.scheme.lower()
    # urlsplit drops an IPv6 address's brackets.
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    return f"{scheme}://{host}"
