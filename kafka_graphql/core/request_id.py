"""The request the current task serves, by its id (`X-Request-ID`): set by the HTTP app for
every request before any face sees it (http/request_id.py; the tasks of a WebSocket's operations
inherit it), read by what is reported or logged outside an operation (an authentication refusal,
a connection, a library's log line) and by the coded errors that name it."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

CURRENT_REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)

# What a caller's id may be: what proxies and tracing tools make (UUIDs, hex, base64, dotted or
# slashed paths), short enough to log on every line, with nothing that could forge or break a
# log line (no blanks, quotes, control characters, no non-ASCII).
_SANE = re.compile(r"[A-Za-z0-9._:/+=@-]{1,128}")


def request_id(given: str | None) -> str:
    """`given` if it is a sane id, else a new one (32 hex digits)."""
    if given is not None and _SANE.fullmatch(given):
        return given
    return uuid.uuid4().hex
