"""The request the current task serves, by its id (`X-Request-ID`): set by the HTTP app for
every request before any face sees it (http/request_id.py; the tasks of a WebSocket's operations
inherit it), read by what is reported or logged outside an operation (an authentication refusal,
a connection, a library's log line) and by the coded errors that name it."""

from __future__ import annotations

from contextvars import ContextVar

CURRENT_REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
