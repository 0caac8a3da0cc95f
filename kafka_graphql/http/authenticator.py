"""Bearer tokens -> principals, by the `[auth]` settings; and the HTTP client that fetches a JWKS
URL for the cache (core/auth/jwks.py), the only part of authentication that speaks HTTP."""

from __future__ import annotations

import json
from types import TracebackType
from typing import Self

import aiohttp

from kafka_graphql.core.auth.jwks import Fetch, JwksCache, JwksUnavailable
from kafka_graphql.core.auth.principal import Principal
from kafka_graphql.core.auth.tokens import PublicKeys, TokenVerifier
from kafka_graphql.core.errors import Unauthenticated
from kafka_graphql.core.telemetry import NO_TELEMETRY, Refusal, Telemetry
from kafka_graphql.settings.auth import AuthSettings
from kafka_graphql.settings.keys import MAX_JWKS_BYTES, load_jwks_file, load_public_key_file

FETCH_TIMEOUT_S = 5.0
AUTHENTICATION_REQUIRED = "authentication is required: send a bearer token"


class Authenticator:
    """What every transport asks: who is this caller? An async context manager, because it
    owns the HTTP client that fetches a JWKS URL."""

    def __init__(self, settings: AuthSettings, telemetry: Telemetry = NO_TELEMETRY) -> None:
        self.settings = settings
        self.telemetry = telemetry
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
        try:
            if token is None:
                if self.settings.required:
                    raise Unauthenticated(AUTHENTICATION_REQUIRED)
                return Principal.anonymous(remote, self.settings.anonymous_scopes)
            assert self._verifier is not None, "the authenticator is used before it started"
            return await self._verifier.verify(token)
        except Unauthenticated as refusal:
            self.refused(refusal, remote)
            raise

    def refused(self, refusal: Unauthenticated, remote: str | None) -> None:
        """Reports an authentication refusal (also one a face made without asking here)."""
        self.telemetry.refused(
            Refusal("authentication", refusal.code, refusal.reason, source_ip=remote)
        )


def http_fetch(session: aiohttp.ClientSession, url: str) -> Fetch:
    """Fetches the JWKS document at `url` with `session`."""

    async def fetch() -> object:
        try:
            async with session.get(
                url,
                timeout=aiohttp.ClientTimeout(total=FETCH_TIMEOUT_S),
                allow_redirects=False,
                headers={"Accept": "application/json"},
            ) as response:
                if response.status != 200:
                    raise JwksUnavailable(f"{url} answered HTTP {response.status}")
                body = await response.content.read(MAX_JWKS_BYTES + 1)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise JwksUnavailable(f"{url}: {type(error).__name__}") from None
        if len(body) > MAX_JWKS_BYTES:
            raise JwksUnavailable(f"{url} sent more than {MAX_JWKS_BYTES} bytes")
        try:
            return json.loads(body)
        except ValueError:
            raise JwksUnavailable(f"{url} did not answer with JSON") from None

    return fetch
