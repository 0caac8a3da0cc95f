"""Verifying a bearer JWT and turning it into a principal.

The token's header only *selects* a key, among keys this gateway trusts: its `alg` must be on the
allow-list (never "none"); HS* tokens are checked against the shared secret alone and
RS*/PS*/ES*/EdDSA tokens against the configured public keys alone (no key confusion); `kid`
picks the JWK. Headers that would make the token bring its own key (`jku`, `x5u`, `jwk`, `x5c`)
or change how it is read (`crit`, `b64`) are refused. Then pyjwt checks the signature and the
claims, with every check named explicitly rather than left to its defaults.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jwt

from kafka_graphql.core.auth.jwks import JwksCache
from kafka_graphql.core.auth.principal import Principal
from kafka_graphql.core.errors import InvalidToken
from kafka_graphql.settings.auth import HS_ALGORITHMS, AuthSettings
from kafka_graphql.settings.keys import PublicKey, VerificationKey

REQUIRED_CLAIMS = ["exp", "iss", "aud", "sub"]
REFUSED_HEADERS = ("jku", "x5u", "jwk", "x5c", "crit", "b64")
# A bearer token longer than this is refused before it is parsed.
MAX_TOKEN_CHARS = 16_384


class PublicKeys:
    """The public keys that may verify a token: from a PEM file, a JWKS file, a JWKS URL."""

    def __init__(
        self,
        pem: VerificationKey | None = None,
        jwks: Sequence[VerificationKey] = (),
        remote: JwksCache | None = None,
    ) -> None:
        self._pem = pem
        self._jwks = tuple(jwks)
        self._remote = remote

    async def candidates(self, alg: str, kid: str | None) -> list[PublicKey]:
        """The keys to try for a token with this `alg` and `kid`.

        A `kid` names a JWK (the JWKS URL is asked again when no cached key has it); the PEM
        key has no `kid` and is tried when no JWK has the token's. Without a `kid`, every key
        that fits `alg` is tried."""
        if kid is not None:
            named = [k for k in self._jwks if k.kid == kid]
            if not named and self._remote is not None:
                named = [k for k in await self._remote.keys(kid) if k.kid == kid]
            if not named and self._pem is not None:
                named = [self._pem]
            return [k.key for k in named if k.fits(alg)]
        remote = await self._remote.keys(None) if self._remote is not None else []
        every = [self._pem] if self._pem is not None else []
        return [k.key for k in [*every, *self._jwks, *remote] if k.fits(alg)]


class TokenVerifier:
    def __init__(self, settings: AuthSettings, keys: PublicKeys) -> None:
        self._settings = settings
        self._keys = keys
        self._allowed = frozenset(settings.algorithms)
        secret = settings.hs_secret
        self._secret = secret.get_secret_value().encode() if secret else None

    async def verify(self, token: str) -> Principal:
        """The token's principal, or InvalidToken saying (safely) why not."""
        if len(token) > MAX_TOKEN_CHARS:
            raise InvalidToken("the token is too long")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise InvalidToken("the token is malformed") from None
        alg, kid = header.get("alg"), header.get("kid")
        if not isinstance(alg, str) or alg not in self._allowed:
            raise InvalidToken("the token's algorithm is not accepted")
        for name in REFUSED_HEADERS:
            if name in header:
                raise InvalidToken(f"tokens with a `{name}` header are refused")
        if not isinstance(kid, str | None):
            raise InvalidToken("the token is malformed")
        keys: list[Any]
        if alg in HS_ALGORITHMS:
            keys = [self._secret] if self._secret is not None else []
        else:
            keys = await self._keys.candidates(alg, kid)
        if not keys:
            raise InvalidToken("no key of this gateway can verify the token", "bad_signature")
        for key in keys:
            try:
                claims = self._decode(token, key, alg)
            except jwt.InvalidSignatureError:
                continue  # another key may be the one (tokens without a `kid`)
            except jwt.PyJWTError as error:
                raise InvalidToken(*_reason(error)) from None
            if not claims["sub"]:
                raise InvalidToken("the token has no `sub` claim")
            return Principal.from_claims(claims)
        raise InvalidToken("the token's signature does not verify", "bad_signature")

    def _decode(self, token: str, key: Any, alg: str) -> dict[str, Any]:
        return jwt.decode(
            token,
            key,
            algorithms=[alg],
            issuer=self._settings.issuer,
            audience=self._settings.audience,
            leeway=self._settings.leeway_s,
            options={
                "verify_signature": True,
                "verify_exp": True,
                "verify_nbf": True,
                "verify_iat": True,
                "verify_iss": True,
                "verify_aud": True,
                "verify_sub": True,
                "strict_aud": False,
                "require": REQUIRED_CLAIMS,
                "enforce_minimum_key_length": True,
            },
        )


def _reason(error: jwt.PyJWTError) -> tuple[str, str]:
    """What the client is told (enough to fix its token, nothing about our keys), and the
    reason's one word for metrics and the audit log."""
    match error:
        case jwt.ExpiredSignatureError():
            return "the token has expired", "expired"
        case jwt.ImmatureSignatureError():
            return "the token is not valid yet", "not_yet_valid"
        case jwt.MissingRequiredClaimError():
            return f"the token has no `{error.claim}` claim", "malformed"
        case jwt.InvalidIssuerError():
            return "the token's issuer is not accepted", "wrong_issuer"
        case jwt.InvalidAudienceError():
            return "the token's audience is not accepted", "wrong_audience"
        case jwt.InvalidAlgorithmError():
            return "the token's algorithm is not accepted", "malformed"
        case jwt.DecodeError():
            return "the token is malformed", "malformed"
    return "the token is not valid", "malformed"
