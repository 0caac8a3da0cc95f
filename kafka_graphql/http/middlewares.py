"""The app's middlewares, in the order each request meets them."""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp.typedefs import Middleware

from kafka_graphql.http.allowed_hosts import allowed_hosts_middleware
from kafka_graphql.http.authenticator import Authenticator
from kafka_graphql.http.bearer import FaceRoutes, authentication_middleware
from kafka_graphql.http.cors import cors_middleware
from kafka_graphql.http.errors import unexpected_errors_middleware
from kafka_graphql.http.request_id import request_id_middleware
from kafka_graphql.settings import ServerSettings
from kafka_graphql.settings.hosts import allowed_hosts


def middlewares(
    server: ServerSettings,
    authenticator: Authenticator | None,
    faces: Sequence[FaceRoutes],
    face_middlewares: Sequence[Middleware] = (),
) -> list[Middleware]:
    """Bearer tokens are read on the routes of `faces` only (when `[auth]` is on);
    `face_middlewares` (a face's seam: its operations and its error shape) come after
    authentication, so that they know the caller."""
    return [
        # First: every request has its id, so that whatever answers it, a refusal too, names it
        # (http/request_id.py: nothing else is done or answered there).
        request_id_middleware,
        # Then a request for another host gets nothing else, not even a CORS answer.
        allowed_hosts_middleware(allowed_hosts(server)),
        cors_middleware(server.cors_allow_origins),
        unexpected_errors_middleware,
        *([authentication_middleware(authenticator, faces)] if authenticator else []),
        *face_middlewares,
    ]
