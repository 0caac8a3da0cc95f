"""Bearer tokens -> principals, by the `[auth]` settings."""

from __future__ import annotations

from types import TracebackType
from typing import Self

import aiohttp

from kafka_graphql.auth.settings import AuthSettings
from kafka_graphql.core.auth.jwks import JwksCache, http_fetch
from kafka_graphql.core.auth.keys import load_jwks_file, load_public_key_file
from kafka_graphql.core.auth.principal import Principal
from kafka_graphql.core.auth.tokens import PublicKeys, TokenVerifier
from kafka_graphql.core.errors import Unauthenticated

AUTHENTICATION_REQUIRED = "authentication is required: send a bearer token"


class Authenticator:
    """What every transport asks: who is this caller? An async context manager, because it
    owns the HTTP client that fetches a JWKS URL."""

    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings
        self._session: aiohttp.ClientSession | None = None
        self._verifier: TokenVerifier | None = None

    async def __aenter__(self) -> Self:
        settings = self.settings
        remote = None
        if settings.jwks_url is not None:
            self._session = aiohttp.ClientSession()
            remote = JwksCache(http_fetch(self._session, settings.jwks_url))
        keys = PublicKeys(
            pem=load_public_key_file(settings.public_key_file)
            if settings.public_key_file
            else None,
            jwks=load_jwks_file(settings.jwks_file) if settings.jwks_file else (),
            remote=remote,
        )
        self._verifier = TokenVerifier(settings, keys)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()

    async def authenticate(self, token: str | None, remote: str | None) -> Principal:
        """The caller with this token (None: no token was sent) from this address.

        Raises InvalidToken for a token that does not verify, and Unauthenticated for a
        missing one when authentication is required."""
        if token is None:
            if self.settings.required:
                raise Unauthenticated(AUTHENTICATION_REQUIRED)
            return Principal.anonymous(remote, self.settings.anonymous_scopes)
        assert self._verifier is not None, "the authenticator is used before it started"
        return await self._verifier.verify(token)
