"""The app's middlewares, in the order each request meets them."""

from __future__ import annotations

from aiohttp.typedefs import Middleware

from kafka_graphql.http.allowed_hosts import allowed_hosts_middleware
from kafka_graphql.http.authenticator import Authenticator
from kafka_graphql.http.bearer import authentication_middleware
from kafka_graphql.http.cors import cors_middleware
from kafka_graphql.http.errors import unexpected_errors_middleware
from kafka_graphql.http.request_id import request_id_middleware
from kafka_graphql.settings import ServerSettings
from kafka_graphql.settings.hosts import allowed_hosts


def middlewares(
    server: ServerSettings, authenticator: Authenticator | None, authenticated_path: str
) -> list[Middleware]:
    """Bearer tokens are read on `authenticated_path` only (when `[auth]` is on)."""
    return [
        # First: every request has its id, so that whatever answers it, a refusal too, names it
        # (http/request_id.py: nothing else is done or answered there).
        request_id_middleware,
        # Then a request for another host gets nothing else, not even a CORS answer.
        allowed_hosts_middleware(allowed_hosts(server)),
        cors_middleware(server.cors_allow_origins),
        unexpected_errors_middleware,
        *([authentication_middleware(authenticator, authenticated_path)] if authenticator else []),
    ]
