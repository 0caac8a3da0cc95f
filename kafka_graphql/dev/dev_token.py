"""The development token: the one `make run` prints and GraphiQL's Headers tab starts with, kept
under .dev/ so that the banner and the gateway (two processes) hand out the same token. Only a
gateway outside the production profile whose `[auth]` trusts the development key has one."""

from __future__ import annotations

import os
import time
from pathlib import Path

import jwt

from kafka_graphql.dev.tokens import DEV_ALGORITHM, DEV_DIR, DevKey, mint_token, trusts
from kafka_graphql.settings import Settings

# What the README's tour needs: read everything, write the demo's topics.
DEV_SCOPES = ("kafka:read:*", "kafka:write:shop.*", "kafka:write:demo.*")
DEV_TOKEN_TTL_S = 12 * 3600
# A kept token with less life left than this is replaced.
MIN_LEFT_S = 3600


def development_token(settings: Settings, directory: Path = DEV_DIR) -> str | None:
    auth = settings.auth
    private = directory / "jwt.key.pem"
    if settings.server.is_production or auth is None or not private.is_file():
        return None
    key = DevKey(private, directory / "jwt.pub.pem")
    if not trusts(auth.public_key_file, auth.algorithms, key):
        return None
    kept = directory / "token"
    token = kept.read_text().strip() if kept.is_file() else ""
    if token and _still_good(token, key, auth.issuer, auth.audience):
        return token
    token = mint_token(
        key,
        subject="dev",
        scopes=DEV_SCOPES,
        ttl_s=DEV_TOKEN_TTL_S,
        issuer=auth.issuer,
        audience=auth.audience,
    )
    temporary = directory / f".token.{os.getpid()}"
    temporary.write_text(token)
    temporary.chmod(0o600)
    os.replace(temporary, kept)
    return token


def _still_good(token: str, key: DevKey, issuer: str, audience: str) -> bool:
    """Signed with this key, for this issuer and audience, with the scopes and life it needs."""
    try:
        claims = jwt.decode(
            token,
            key.public_key_file.read_bytes(),
            algorithms=[DEV_ALGORITHM],
            issuer=issuer,
            audience=audience,
        )
    except (OSError, jwt.InvalidTokenError):
        return False
    exp = claims.get("exp")
    left = exp - time.time() if isinstance(exp, int) else 0
    return left > MIN_LEFT_S and claims.get("scope") == " ".join(DEV_SCOPES)
