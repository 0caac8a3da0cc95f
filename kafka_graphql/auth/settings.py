"""The `[auth]` table: which bearer JWTs the gateway accepts and where their keys come from.

Everything is checked at start-up, each problem naming its key, so that a gateway never runs
with an authentication that silently accepts too much (or nothing at all).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from kafka_graphql.core.auth.keys import KeyFileError, load_jwks_file, load_public_key_file

HS_ALGORITHMS = {"HS256": 32, "HS384": 48, "HS512": 64}  # name -> shortest secret (RFC 7518 3.2)
PUBLIC_KEY_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
ALGORITHMS = frozenset(HS_ALGORITHMS) | PUBLIC_KEY_ALGORITHMS
MAX_LEEWAY_S = 300


class AuthSettingsError(ValueError):
    """A problem in the `[auth]` table; the message names the key."""


@dataclass(frozen=True, slots=True)
class AuthSettings:
    # Anonymous callers are refused; when false they get `anonymous_scopes`.
    required: bool = True
    # The explicit allow-list of signature algorithms; "none" is never accepted.
    algorithms: tuple[str, ...] = ()
    # Checked exactly against the token's `iss` and `aud` claims, which every token must carry.
    issuer: str = ""
    audience: str = ""
    # Clock skew tolerated on `exp`, `nbf` and `iat`; also how long after `exp` a socket lives.
    leeway_s: float = 30.0
    # Public keys for RS*/PS*/ES*/EdDSA (any combination): a PEM file, a JWKS file, a JWKS URL.
    public_key_file: str | None = None
    jwks_file: str | None = None
    jwks_url: str | None = None
    # The environment variable holding the HS* shared secret.
    hs_secret_env: str | None = None
    anonymous_scopes: tuple[str, ...] = ()
    # "Type.field" of the generic API -> scopes of which a caller needs one to select the field
    # (an @auth directive). Typed topics guard their own types with their `field_scopes`.
    field_scopes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # The secret itself, read from `hs_secret_env` when the settings are loaded (never from the
    # file, never shown).
    hs_secret: str | None = field(default=None, repr=False, compare=False)

    @property
    def hs_algorithms(self) -> list[str]:
        return [a for a in self.algorithms if a in HS_ALGORITHMS]

    @property
    def public_key_algorithms(self) -> list[str]:
        return [a for a in self.algorithms if a in PUBLIC_KEY_ALGORITHMS]


def resolve_auth(
    auth: AuthSettings, base_dir: Path | None, environ: Mapping[str, str]
) -> AuthSettings:
    """`auth` with its key files made absolute against `base_dir` (default: cwd) and the HS
    secret read from the environment."""

    def resolved(path: str | None) -> str | None:
        if path is None:
            return None
        return os.path.normpath((base_dir or Path.cwd()) / os.path.expanduser(path))

    secret = environ.get(auth.hs_secret_env) if auth.hs_secret_env else None
    return dataclasses.replace(
        auth,
        public_key_file=resolved(auth.public_key_file),
        jwks_file=resolved(auth.jwks_file),
        hs_secret=secret,
    )


def validate_auth(auth: AuthSettings) -> None:
    """Check `[auth]` (after `resolve_auth`); each problem names its key."""
    _validate_algorithms(auth)
    if not auth.issuer.strip():
        raise AuthSettingsError("auth.issuer is required: tokens must name their issuer (iss)")
    if not auth.audience.strip():
        raise AuthSettingsError("auth.audience is required: tokens must name this gateway (aud)")
    if not 0 <= auth.leeway_s <= MAX_LEEWAY_S:
        raise AuthSettingsError(f"auth.leeway_s must be in 0..{MAX_LEEWAY_S}")
    for i, scope in enumerate(auth.anonymous_scopes):
        if not scope.strip() or scope != scope.strip():
            raise AuthSettingsError(f"auth.anonymous_scopes[{i}] must be a scope, got {scope!r}")
    if auth.required and auth.anonymous_scopes:
        raise AuthSettingsError(
            "auth.anonymous_scopes has no effect while auth.required = true (set it to false "
            "to let anonymous callers in with these scopes)"
        )
    _validate_hs_secret(auth)
    _validate_key_sources(auth)


def _validate_algorithms(auth: AuthSettings) -> None:
    if not auth.algorithms:
        raise AuthSettingsError(
            'auth.algorithms must list the accepted signature algorithms, e.g. ["RS256"]'
        )
    for name in auth.algorithms:
        if name.lower() == "none":
            raise AuthSettingsError(
                'auth.algorithms must not contain "none": unsigned tokens are never accepted'
            )
        if name not in ALGORITHMS:
            raise AuthSettingsError(
                f"auth.algorithms: unknown algorithm {name!r} "
                f"(accepted: {', '.join(sorted(ALGORITHMS))})"
            )


def _validate_hs_secret(auth: AuthSettings) -> None:
    if not auth.hs_algorithms:
        return
    names = ", ".join(auth.hs_algorithms)
    if not auth.hs_secret_env:
        raise AuthSettingsError(
            f"auth.algorithms has {names}: auth.hs_secret_env must name the environment "
            "variable that holds the shared secret"
        )
    if not auth.hs_secret:
        raise AuthSettingsError(
            f"auth.hs_secret_env: the environment variable {auth.hs_secret_env} is not set "
            "(or empty)"
        )
    shortest = max(HS_ALGORITHMS[a] for a in auth.hs_algorithms)
    if len(auth.hs_secret.encode()) < shortest:
        raise AuthSettingsError(
            f"auth.hs_secret_env: the secret in {auth.hs_secret_env} must be at least "
            f"{shortest} bytes for {names}"
        )


def _validate_key_sources(auth: AuthSettings) -> None:
    if auth.public_key_algorithms and not (auth.public_key_file or auth.jwks_file or auth.jwks_url):
        raise AuthSettingsError(
            f"auth.algorithms has {', '.join(auth.public_key_algorithms)}: set a public key "
            "source (auth.public_key_file, auth.jwks_file or auth.jwks_url)"
        )
    if auth.public_key_file is not None:
        try:
            load_public_key_file(auth.public_key_file)
        except KeyFileError as error:
            raise AuthSettingsError(f"auth.public_key_file: {error}") from None
    if auth.jwks_file is not None:
        try:
            keys = load_jwks_file(auth.jwks_file)
        except KeyFileError as error:
            raise AuthSettingsError(f"auth.jwks_file: {error}") from None
        if not keys:
            raise AuthSettingsError(f"auth.jwks_file: {auth.jwks_file} holds no public signing key")
    if auth.jwks_url is not None:
        _validate_jwks_url(auth.jwks_url)


def _validate_jwks_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return  # a key server on this machine (development, tests)
    raise AuthSettingsError(
        f"auth.jwks_url must be an https URL (http only for a loopback host), got {url!r}"
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
