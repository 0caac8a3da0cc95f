"""Keys and tokens for the authentication tests: real keys, and tokens signed both the way
identity providers sign them and the way attackers would try to."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

ISSUER = "https://id.example.test/"
AUDIENCE = "kafka-graphql-test"
# Long enough for HS512.
HS_SECRET = "a-shared-secret-of-sixty-four-bytes-for-the-hs-tests-0123456789"
HS_SECRET_ENV = "KAFKA_GRAPHQL_TEST_JWT_SECRET"


@dataclass(frozen=True)
class KeyPair:
    private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    kid: str

    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def public_jwk(self) -> dict[str, Any]:
        public = self.private.public_key()
        if isinstance(public, rsa.RSAPublicKey):
            jwk = RSAAlgorithm.to_jwk(public, as_dict=True)
        else:
            jwk = ECAlgorithm.to_jwk(public, as_dict=True)
        return {**jwk, "kid": self.kid, "use": "sig"}

    def sign(
        self,
        claims: dict[str, Any],
        alg: str = "RS256",
        headers: dict[str, Any] | None = None,
        kid: str | None = "",
    ) -> str:
        """A token signed with this key; its `kid` unless another (or None: no kid) is given."""
        kid = self.kid if kid == "" else kid
        all_headers = {**({"kid": kid} if kid is not None else {}), **(headers or {})}
        return jwt.encode(claims, self.private, algorithm=alg, headers=all_headers)


@functools.cache
def rsa_pair(kid: str = "rsa-1") -> KeyPair:
    return KeyPair(rsa.generate_private_key(public_exponent=65537, key_size=2048), kid)


@functools.cache
def ec_pair(kid: str = "ec-1") -> KeyPair:
    return KeyPair(ec.generate_private_key(ec.SECP256R1()), kid)


def jwks(*pairs: KeyPair) -> dict[str, Any]:
    return {"keys": [p.public_jwk() for p in pairs]}


def write_keys(directory: Path, *pairs: KeyPair) -> tuple[Path, Path]:
    """The first pair's public key as PEM, and every pair in a JWKS file."""
    pem, document = directory / "jwt.pub.pem", directory / "jwks.json"
    pem.write_bytes(pairs[0].public_pem())
    document.write_text(json.dumps(jwks(*pairs)))
    return pem, document


# For a token made once at import and used by every test of a module: longer than a whole run.
RUN_TTL_S = 3 * 3600


def claims(ttl_s: int = 300, **overrides: Any) -> dict[str, Any]:
    """Valid claims for subject alice; an override of None removes the claim."""
    now = int(time.time())
    values: dict[str, Any] = {
        "sub": "alice",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + ttl_s,
        "scope": "kafka:read:* kafka:write:*",
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segments(header: dict[str, Any], payload: dict[str, Any]) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"


def unsigned(payload: dict[str, Any], alg: str = "none") -> str:
    """`alg: none` and an empty signature."""
    return _segments({"alg": alg, "typ": "JWT"}, payload) + "."


def hs256_with(secret: bytes, payload: dict[str, Any], kid: str | None = None) -> str:
    """HS256 with any bytes as the secret, e.g. a public key (pyjwt itself refuses to)."""
    header: dict[str, Any] = {"alg": "HS256", "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    signing_input = _segments(header, payload)
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def hs_token(payload: dict[str, Any], secret: str = HS_SECRET, alg: str = "HS256") -> str:
    return jwt.encode(payload, secret, algorithm=alg)
