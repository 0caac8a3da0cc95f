"""Keys from a JWKS URL (an identity provider's `jwks_uri`), cached.

The document is fetched when a key is first needed, and again when a token names a `kid` the
cache does not know (the provider rotated its keys) or the cache is older than `max_age_s`
(a key the provider withdrew stops verifying). Whatever callers send, there is at most one fetch
per `min_interval_s`: a flood of tokens with made-up `kid`s costs one fetch, not one each.
The fetch itself is given (over HTTP: http/authenticator.py's `http_fetch`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from kafka_graphql.settings.keys import VerificationKey, parse_jwks

log = logging.getLogger(__name__)

MIN_INTERVAL_S = 30.0
MAX_AGE_S = 600.0

Fetch = Callable[[], Awaitable[object]]


class JwksUnavailable(Exception):
    """The JWKS URL did not answer with a JWKS document."""


class JwksCache:
    def __init__(
        self,
        fetch: Fetch,
        *,
        clock: Callable[[], float] = time.monotonic,
        min_interval_s: float = MIN_INTERVAL_S,
        max_age_s: float = MAX_AGE_S,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._min_interval_s = min_interval_s
        self._max_age_s = max_age_s
        self._keys: list[VerificationKey] = []
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = asyncio.Lock()

    async def keys(self, kid: str | None) -> list[VerificationKey]:
        """The cached keys, fetched again first when `kid` is unknown or the cache is old and
        the last attempt is at least `min_interval_s` ago."""
        # A fetch under way is waited for: its keys may be the ones wanted.
        if self._lock.locked() or self._wants_fetch(kid):
            async with self._lock:
                # Whoever waited for the lock finds the fetch done and the interval running.
                if self._wants_fetch(kid):
                    await self._refresh()
        return self._keys

    def _wants_fetch(self, kid: str | None) -> bool:
        now = self._clock()
        if self._attempted_at is not None and now - self._attempted_at < self._min_interval_s:
            return False
        if self._fetched_at is None or now - self._fetched_at >= self._max_age_s:
            return True
        return kid is not None and all(k.kid != kid for k in self._keys)

    async def _refresh(self) -> None:
        self._attempted_at = self._clock()
        try:
            document = await self._fetch()
        except JwksUnavailable as error:
            # The keys fetched before stay in use until the provider answers again.
            log.warning("JWKS fetch failed: %s", error)
            return
        self._keys = parse_jwks(document)
        self._fetched_at = self._clock()
        if not self._keys:
            log.warning("the JWKS document holds no public signing key")
