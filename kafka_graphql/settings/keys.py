"""The public keys that verify RS*/PS*/ES*/EdDSA tokens: a PEM file and JWKS documents.

A key is only ever used for the algorithms its type fits (and its JWK `alg`, when it names one),
so an RSA key never verifies an ES256 token, and no public key ever verifies an HS* token:
HS* tokens are checked against the shared secret alone (tokens.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

PublicKey = (
    rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | ed448.Ed448PublicKey
)
MIN_RSA_BITS = 2048
EC_CURVES = {"ES256": "secp256r1", "ES384": "secp384r1", "ES512": "secp521r1"}
# A JWKS document larger than this is refused, wherever it comes from.
MAX_JWKS_BYTES = 1_048_576


class KeyFileError(ValueError):
    """A key file that cannot be used; the message says why."""


@dataclass(frozen=True, slots=True)
class VerificationKey:
    key: PublicKey
    kid: str | None = None
    # The JWK's own `alg`: when set, the key verifies that algorithm only.
    alg: str | None = None

    def fits(self, algorithm: str) -> bool:
        if self.alg is not None and self.alg != algorithm:
            return False
        key = self.key
        if algorithm[:2] in ("RS", "PS"):
            return isinstance(key, rsa.RSAPublicKey)
        if algorithm in EC_CURVES:
            return (
                isinstance(key, ec.EllipticCurvePublicKey)
                and key.curve.name == EC_CURVES[algorithm]
            )
        if algorithm == "EdDSA":
            return isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey)
        return False


def load_public_key_file(path: str | Path) -> VerificationKey:
    """A PEM public key (or the key of a PEM certificate)."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise KeyFileError(f"cannot read {path}: {error.strerror}") from None
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            key: object = x509.load_pem_x509_certificate(data).public_key()
        else:
            key = load_pem_public_key(data)
    except ValueError:
        raise KeyFileError(
            f"{path} is not a PEM public key (give the public half of the key pair)"
        ) from None
    checked = _usable(key)
    if checked is None:
        raise KeyFileError(f"{path} holds a key type that does not sign JWTs")
    if isinstance(checked, rsa.RSAPublicKey) and checked.key_size < MIN_RSA_BITS:
        raise KeyFileError(f"{path} holds an RSA key shorter than {MIN_RSA_BITS} bits")
    return VerificationKey(checked)


def load_jwks_file(path: str | Path) -> list[VerificationKey]:
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise KeyFileError(f"cannot read {path}: {error.strerror}") from None
    if len(data) > MAX_JWKS_BYTES:
        raise KeyFileError(f"{path} is larger than {MAX_JWKS_BYTES} bytes")
    try:
        document = json.loads(data)
    except ValueError:
        raise KeyFileError(f"{path} is not JSON") from None
    if not _is_jwks(document):
        raise KeyFileError(f'{path} is not a JWKS document ({{"keys": [...]}})')
    return parse_jwks(document)


def _is_jwks(document: object) -> bool:
    return isinstance(document, dict) and isinstance(document.get("keys"), list)


def parse_jwks(document: object) -> list[VerificationKey]:
    """The public signing keys of a JWKS document. Anything else is left out: symmetric (`oct`)
    keys, private keys, encryption keys, RSA keys that are too short, entries that don't parse."""
    if not _is_jwks(document):
        return []
    assert isinstance(document, dict)
    keys = []
    for entry in document["keys"]:
        key = _jwk(entry)
        if key is not None:
            keys.append(key)
    return keys


def _jwk(entry: object) -> VerificationKey | None:
    if not isinstance(entry, dict) or entry.get("kty") not in ("RSA", "EC", "OKP"):
        return None
    if entry.get("use", "sig") != "sig" or "d" in entry:
        return None
    operations = entry.get("key_ops")
    if operations is not None and (not isinstance(operations, list) or "verify" not in operations):
        return None
    kid, alg = entry.get("kid"), entry.get("alg")
    if not isinstance(kid, str | None) or not isinstance(alg, str | None):
        return None
    try:
        parsed = jwt.PyJWK(entry).key
    except (jwt.PyJWTError, ValueError, KeyError, TypeError):
        return None
    key = _usable(parsed)
    if key is None or (isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS):
        return None
    return VerificationKey(key, kid, alg)


def _usable(key: object) -> PublicKey | None:
    if isinstance(
        key,
        rsa.RSAPublicKey
        | ec.EllipticCurvePublicKey
        | ed25519.Ed25519PublicKey
        | ed448.Ed448PublicKey,
    ):
        return key
    return None
