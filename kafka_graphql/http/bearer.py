"""Authentication over HTTP: `Authorization: Bearer <token>` on the routes of every HTTP face
(`FaceRoutes`: the GraphQL path, the REST face's routes).

A request with a token is authenticated here, and refused with 401 when the token does not
verify, in the shape of the face it was for. A request without one gets the anonymous principal
when authentication is optional. Otherwise it has no principal, and the face refuses it only when
it would run an operation (`check_authenticated`): the GraphiQL page loads without a token (the
user pastes one into its Headers tab), and nothing runs without one. WebSocket upgrades are left
to `connection_init` (browsers cannot set headers on them).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from aiohttp import hdrs, web
from aiohttp.typedefs import Middleware

from kafka_graphql.core.auth.bearer import bearer_token as bearer_token
from kafka_graphql.core.auth.principal import Principal
from kafka_graphql.core.errors import InvalidToken, Unauthenticated
from kafka_graphql.http.authenticator import AUTHENTICATION_REQUIRED, Authenticator
from kafka_graphql.http.errors import json_error

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

PRINCIPAL = web.RequestKey("principal", Principal)


@dataclass(frozen=True, slots=True)
class FaceRoutes:
    """The requests one face takes bearer tokens on, and how it answers a token refused here
    (401 in its own error shape)."""

    covers: Callable[[web.Request], bool]
    refusal: Callable[[Unauthenticated], web.StreamResponse]

    @classmethod
    def on_path(cls, path: str) -> FaceRoutes:
        """Requests for `path`, refused with `unauthenticated_response`."""
        return cls(lambda request: request.path == path, unauthenticated_response)


def authentication_middleware(
    authenticator: Authenticator, faces: Sequence[FaceRoutes]
) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        face = next((face for face in faces if face.covers(request)), None)
        if face is None or _is_websocket_upgrade(request):
            return await handler(request)
        header = request.headers.get(hdrs.AUTHORIZATION)
        try:
            token = bearer_token(header) if header is not None else None
        except Unauthenticated as refusal:
            authenticator.refused(refusal, request.remote)
            return face.refusal(refusal)
        if token is None and authenticator.settings.required:
            # No principal: refused (and reported) only if it runs an operation.
            return await handler(request)
        try:
            request[PRINCIPAL] = await authenticator.authenticate(token, request.remote)
        except Unauthenticated as refusal:
            return face.refusal(refusal)
        return await handler(request)

    return middleware


def check_authenticated(request: web.Request, authenticator: Authenticator) -> None:
    """Before an operation runs over HTTP: raises the refusal of a request without an
    established principal (fail-closed: also one the middleware let through as an upgrade)."""
    if PRINCIPAL not in request:
        refusal = Unauthenticated(AUTHENTICATION_REQUIRED)
        authenticator.refused(refusal, request.remote)
        raise refusal


def unauthenticated_response(refusal: Unauthenticated) -> web.Response:
    return json_error(
        401, refusal.message, refusal.code, {hdrs.WWW_AUTHENTICATE: challenge(refusal)}
    )


def challenge(refusal: Unauthenticated) -> str:
    """The `WWW-Authenticate` of a 401 (RFC 6750 3): no error code when no token came,
    invalid_token when one did not verify."""
    return 'Bearer error="invalid_token"' if isinstance(refusal, InvalidToken) else "Bearer"


def _is_websocket_upgrade(request: web.Request) -> bool:
    return request.headers.get(hdrs.UPGRADE, "").lower() == "websocket"
