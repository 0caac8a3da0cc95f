"""What every REST handler starts with: the caller, established by the authentication
middleware (http/bearer.py), and the core to call."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from kafka_graphql.core.auth.principal import Principal
from kafka_graphql.core.gateway import Core
from kafka_graphql.http.bearer import PRINCIPAL, check_authenticated
from kafka_graphql.http.state import AUTHENTICATOR, core_of


@dataclass(frozen=True, slots=True)
class Call:
    core: Core
    principal: Principal


def rest_call(request: web.Request) -> Call:
    """The request's caller and core; UNAUTHENTICATED when `[auth]` requires a token and none
    came (the middleware lets such a request through: the face refuses what would run)."""
    authenticator = request.app.get(AUTHENTICATOR)
    if authenticator is not None:
        check_authenticated(request, authenticator)
    principal = request.get(PRINCIPAL) or Principal.anonymous(request.remote)
    return Call(core_of(request.app), principal)
