"""Development tokens: an RS256 key pair under `.dev/` (made on first use, git-ignored) and
tokens signed with it, for `make run` and `kafka-graphql token`.

Never for production: whoever can read `.dev/` can mint any token the gateway accepts.
"""

from __future__ import annotations

import os
import re
import sys
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from kafka_graphql.settings import load_settings

DEV_DIR = Path(".dev")
DEV_ISSUER = "kafka-graphql-dev"
DEV_AUDIENCE = "kafka-graphql"
DEV_ALGORITHM = "RS256"
MAX_TTL_S = 30 * 24 * 3600
_TTL = re.compile(r"(\d+)([smhd]?)")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class DevTokenError(ValueError):
    """A `kafka-graphql token` argument that cannot be used."""


@dataclass(frozen=True, slots=True)
class DevKey:
    private_key_file: Path
    public_key_file: Path


def ensure_dev_key(directory: Path = DEV_DIR) -> DevKey:
    """The development key pair in `directory`, generated when it is not there yet.

    Safe when several processes start at once: the first private key written stays, and the
    public key is always derived from it."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    private = directory / "jwt.key.pem"
    if not private.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        temporary = directory / f".jwt.key.{uuid.uuid4().hex}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
        try:
            os.link(temporary, private)
        except FileExistsError:
            pass  # another process was first: its key is the one
        finally:
            temporary.unlink()
    public = directory / "jwt.pub.pem"
    public_pem = (
        _private_key(private)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    if not public.exists() or public.read_bytes() != public_pem:
        temporary = directory / f".jwt.pub.{uuid.uuid4().hex}"
        temporary.write_bytes(public_pem)
        os.replace(temporary, public)
    return DevKey(private, public)


def mint_token(
    key: DevKey,
    *,
    subject: str,
    scopes: Iterable[str],
    ttl_s: float,
    issuer: str = DEV_ISSUER,
    audience: str = DEV_AUDIENCE,
    claims: Mapping[str, str] | None = None,
    now: float | None = None,
) -> str:
    now = time.time() if now is None else now
    payload: dict[str, object] = {
        **(claims or {}),
        "sub": subject,
        "iss": issuer,
        "aud": audience,
        "iat": int(now),
        "exp": int(now + ttl_s),
    }
    scope = " ".join(s for text in scopes for s in text.split())
    if scope:
        payload["scope"] = scope
    return jwt.encode(payload, _private_key(key.private_key_file), algorithm=DEV_ALGORITHM)


def parse_ttl(text: str) -> int:
    """Seconds in `90s`, `30m`, `1h`, `2d` (or a bare number of seconds)."""
    match = _TTL.fullmatch(text.strip())
    seconds = int(match.group(1)) * _UNITS[match.group(2)] if match else 0
    if not 0 < seconds <= MAX_TTL_S:
        raise DevTokenError(f"--ttl must be like 90s, 30m, 1h or 2d (at most 30d), got {text!r}")
    return seconds


def parse_claims(pairs: Iterable[str]) -> dict[str, str]:
    claims = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name:
            raise DevTokenError(f"--claim must be name=value, got {pair!r}")
        claims[name] = value
    return claims


def token_for_config(
    config: str | None, subject: str, scopes: Iterable[str], ttl: str, claims: Iterable[str]
) -> str:
    """`kafka-graphql token`: a token for the gateway that `config` configures (its issuer and
    audience), signed with the development key. Notes go to stderr, the token alone to stdout."""
    ttl_s, extra = parse_ttl(ttl), parse_claims(claims)
    key = ensure_dev_key()
    auth = load_settings(config).auth
    if auth is None and config is not None:
        print(f"note: {config} has no [auth]: the gateway needs no token", file=sys.stderr)
    elif auth is not None and not trusts(auth.public_key_file, auth.algorithms, key):
        print(
            f"note: the configuration's [auth] does not name {key.public_key_file} as "
            f"public_key_file (with {DEV_ALGORITHM}): the gateway will refuse this token",
            file=sys.stderr,
        )
    return mint_token(
        key,
        subject=subject,
        scopes=scopes,
        ttl_s=ttl_s,
        issuer=auth.issuer if auth else DEV_ISSUER,
        audience=auth.audience if auth else DEV_AUDIENCE,
        claims=extra,
    )


def trusts(public_key_file: str | None, algorithms: Iterable[str], key: DevKey) -> bool:
    """Whether a gateway with these settings accepts tokens signed with the development key."""
    return (
        public_key_file is not None
        and Path(public_key_file).resolve() == key.public_key_file.resolve()
        and DEV_ALGORITHM in algorithms
    )


def _private_key(path: Path) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey), f"{path} is not an RSA private key"
    return key
