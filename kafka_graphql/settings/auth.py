"""The `[auth]` table: which bearer JWTs the gateway accepts and where their keys come from.

Everything is checked at start-up, each problem naming its key, so that a gateway never runs
with an authentication that silently accepts too much (or nothing at all).
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, Strict, field_validator, model_validator

from kafka_graphql.settings.field_rules import FieldScopes
from kafka_graphql.settings.fields import ConfigFile, EnvName, Scope, Table, loading, refuse
from kafka_graphql.settings.keys import KeyFileError, load_jwks_file, load_public_key_file

HS_ALGORITHMS = {"HS256": 32, "HS384": 48, "HS512": 64}  # name -> shortest secret (RFC 7518 3.2)
PUBLIC_KEY_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
ALGORITHMS = frozenset(HS_ALGORITHMS) | PUBLIC_KEY_ALGORITHMS
MAX_LEEWAY_S = 300


# A secret written in the file (refused: it is read from the environment only).
_IN_THE_FILE = object()


class AuthSettings(Table):
    """`[auth]`: bearer JWTs, their issuer, audience and keys, and what anonymous callers get."""

    required: bool = True
    """refuse callers without a token; `false` lets them in with `auth.anonymous_scopes`"""
    algorithms: Annotated[tuple[str, ...], Strict(False)] = Field(
        (), json_schema_extra={"unset": "(required)"}
    )
    """the explicit allow-list of signature algorithms (`RS256`, `ES256`, `EdDSA`, `HS256`, ...);
    `none` is refused"""
    issuer: str = Field("", json_schema_extra={"unset": "(required)"})
    """the exact `iss` of accepted tokens, which every token must carry"""
    audience: str = Field("", json_schema_extra={"unset": "(required)"})
    """the exact `aud` of accepted tokens (a token's `aud` list may contain it), which every token
    must carry"""
    leeway_s: float = Field(30.0, ge=0, le=MAX_LEEWAY_S, allow_inf_nan=False)
    """clock skew allowed on `exp`/`nbf`/`iat`; a WebSocket closes at `exp` + leeway"""
    public_key_file: ConfigFile | None = None
    """a PEM public key (RS*/PS*/ES*/EdDSA)"""
    jwks_file: ConfigFile | None = None
    """a JWKS document on disk"""
    jwks_url: str | None = None
    """an identity provider's JWKS URL (`https`; `http` only on a loopback host), cached, fetched
    again at most every 30 s"""
    hs_secret_env: EnvName | None = None
    """the environment variable holding the HS* shared secret (at least 32/48/64 bytes for
    HS256/384/512; never logged)"""
    anonymous_scopes: Annotated[tuple[Scope, ...], Strict(False)] = ()
    """scopes of anonymous callers when `auth.required = false`"""
    field_scopes: FieldScopes = Field(default_factory=dict)
    """`"Type.field" = ["scope", ...]` for fields of the generic API (`"Message.headers"`,
    `"Topic.partitions"`, ...): an operation that selects the field needs one of the scopes
    (or `kafka:admin`), else it is refused with `FORBIDDEN` before anything runs; `@auth`
    in the SDL. So does a filter that reads it (`filter: {keyPrefix}` reads `Message.key`,
    a typed `where` its fields). A `Message` field's rule also holds on every typed topic's
    `<Type>Message`. Typed topics guard their own types with their `field_scopes`
    ([security.md](security.md#arguments-are-guarded-like-selections))"""
    # The secret itself, read from `hs_secret_env` when the configuration is loaded (never from
    # the file): not a key of the file, so neither documented nor shown.
    hs_secret: SecretStr | None = Field(None, exclude=True, repr=False)

    @property
    def hs_algorithms(self) -> list[str]:
        return [a for a in self.algorithms if a in HS_ALGORITHMS]

    @property
    def public_key_algorithms(self) -> list[str]:
        return [a for a in self.algorithms if a in PUBLIC_KEY_ALGORITHMS]

    @model_validator(mode="before")
    @classmethod
    def _read_secret(cls, data: Any) -> Any:
        context = loading()
        if context is None or not isinstance(data, dict):
            return data
        if "hs_secret" in data:
            # Refused with the table's other problems, by the key's own check below.
            return {**data, "hs_secret": _IN_THE_FILE}
        variable = data.get("hs_secret_env")
        secret = context.environ.get(variable) if isinstance(variable, str) else None
        return {**data, "hs_secret": secret}

    @field_validator("hs_secret", mode="before")
    @classmethod
    def _not_in_the_file(cls, value: Any) -> Any:
        if value is _IN_THE_FILE:
            refuse(
                "AuthSettings",
                [
                    (
                        (),
                        "unknown configuration key {key} (the secret comes from the variable "
                        "auth.hs_secret_env names)",
                    )
                ],
            )
        return value

    @model_validator(mode="after")
    def _check(self) -> Self:
        if loading() is not None:
            refuse("AuthSettings", [((), text) for text in auth_problems(self)])
        return self


def auth_problems(auth: AuthSettings) -> list[str]:
    """What is wrong with `[auth]` beyond each key's type and bounds (`{key}`: `auth`)."""
    found = _algorithm_problems(auth)
    if not auth.issuer.strip():
        found.append("{key}.issuer is required: tokens must name their issuer (iss)")
    if not auth.audience.strip():
        found.append("{key}.audience is required: tokens must name this gateway (aud)")
    if auth.required and auth.anonymous_scopes:
        found.append(
            "{key}.anonymous_scopes has no effect while {key}.required = true (set it to false "
            "to let anonymous callers in with these scopes)"
        )
    found += _hs_secret_problems(auth)
    found += _key_source_problems(auth)
    return found


def _algorithm_problems(auth: AuthSettings) -> list[str]:
    if not auth.algorithms:
        return ['{key}.algorithms must list the accepted signature algorithms, e.g. ["RS256"]']
    found: list[str] = []
    for name in auth.algorithms:
        if name.lower() == "none":
            found.append(
                '{key}.algorithms must not contain "none": unsigned tokens are never accepted'
            )
        elif name not in ALGORITHMS:
            found.append(
                f"{{key}}.algorithms: unknown algorithm {name!r} "
                f"(accepted: {', '.join(sorted(ALGORITHMS))})"
            )
    return found


def _hs_secret_problems(auth: AuthSettings) -> list[str]:
    if not auth.hs_algorithms:
        return []
    names = ", ".join(auth.hs_algorithms)
    if not auth.hs_secret_env:
        return [
            f"{{key}}.algorithms has {names}: {{key}}.hs_secret_env must name the environment "
            "variable that holds the shared secret"
        ]
    secret = auth.hs_secret.get_secret_value() if auth.hs_secret is not None else ""
    if not secret:
        return [
            f"{{key}}.hs_secret_env: the environment variable {auth.hs_secret_env} is not set "
            "(or empty)"
        ]
    shortest = max(HS_ALGORITHMS[a] for a in auth.hs_algorithms)
    if len(secret.encode()) < shortest:
        return [
            f"{{key}}.hs_secret_env: the secret in {auth.hs_secret_env} must be at least "
            f"{shortest} bytes for {names}"
        ]
    return []


def _key_source_problems(auth: AuthSettings) -> list[str]:
    found: list[str] = []
    if auth.public_key_algorithms and not (auth.public_key_file or auth.jwks_file or auth.jwks_url):
        found.append(
            f"{{key}}.algorithms has {', '.join(auth.public_key_algorithms)}: set a public key "
            "source ({key}.public_key_file, {key}.jwks_file or {key}.jwks_url)"
        )
    if auth.public_key_file is not None:
        try:
            load_public_key_file(auth.public_key_file)
        except KeyFileError as error:
            found.append(f"{{key}}.public_key_file: {error}")
    if auth.jwks_file is not None:
        try:
            if not load_jwks_file(auth.jwks_file):
                found.append(f"{{key}}.jwks_file: {auth.jwks_file} holds no public signing key")
        except KeyFileError as error:
            found.append(f"{{key}}.jwks_file: {error}")
    if auth.jwks_url is not None and not _trusted_jwks_url(auth.jwks_url):
        found.append(
            "{key}.jwks_url must be an https URL (http only for a loopback host), got "
            f"{auth.jwks_url!r}"
        )
    return found


def _trusted_jwks_url(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    # http: only a key server on this machine (development, tests).
    return parts.scheme == "http" and bool(parts.hostname) and _is_loopback(parts.hostname or "")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
