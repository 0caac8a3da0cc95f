"""`Bearer <token>` (RFC 6750 2.1), as every transport reads it: the HTTP `Authorization` header,
gRPC's `authorization` metadata; and what a transport asks of the authenticator it is handed."""

from __future__ import annotations

from typing import Protocol

from kafka_graphql.core.auth.principal import Principal
from kafka_graphql.core.errors import InvalidToken, Unauthenticated


def bearer_token(header: str) -> str:
    """The token of an `Authorization` header (or metadata entry)."""
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        refusal = Unauthenticated("the Authorization header must be `Bearer <token>`")
        refusal.reason = "malformed"
        raise refusal
    token = token.strip()
    if not token or " " in token:
        raise InvalidToken("the Authorization header must be `Bearer <token>`")
    return token


class Authenticate(Protocol):
    """Who is this caller (http/authenticator.py's Authenticator, for every transport)."""

    async def authenticate(self, token: str | None, remote: str | None) -> Principal:
        """Raises InvalidToken for a token that does not verify, Unauthenticated for a missing
        one when authentication is required (each reported)."""
        ...

    def refused(self, refusal: Unauthenticated, remote: str | None) -> None:
        """Reports a refusal the transport made itself (a malformed header)."""
        ...
