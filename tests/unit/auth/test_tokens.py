"""Token verification: every refusal the gateway makes, and what an accepted token becomes."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

import pytest
from pydantic import SecretStr

from kafka_graphql.core.auth.jwks import JwksCache
from kafka_graphql.core.auth.tokens import PublicKeys, TokenVerifier
from kafka_graphql.core.errors import InvalidToken
from kafka_graphql.settings.auth import AuthSettings
from kafka_graphql.settings.keys import VerificationKey, parse_jwks
from tests.tokens import (
    AUDIENCE,
    HS_SECRET,
    ISSUER,
    KeyPair,
    claims,
    ec_pair,
    hs256_with,
    hs_token,
    jwks,
    rsa_pair,
    unsigned,
)

RSA = rsa_pair()
OTHER_RSA = rsa_pair("rsa-other")
EC = ec_pair()


def verifier(
    algorithms: Iterable[str] = ("RS256",),
    pem: KeyPair | None = RSA,
    jwk_pairs: Iterable[KeyPair] = (),
    leeway_s: float = 30,
) -> TokenVerifier:
    settings = AuthSettings(
        algorithms=tuple(algorithms),
        issuer=ISSUER,
        audience=AUDIENCE,
        leeway_s=leeway_s,
        hs_secret=SecretStr(HS_SECRET),
    )
    keys = PublicKeys(
        pem=VerificationKey(pem.private.public_key()) if pem else None,
        jwks=parse_jwks(jwks(*jwk_pairs)),
    )
    return TokenVerifier(settings, keys)


async def refusal(token: str, checker: TokenVerifier | None = None) -> str:
    with pytest.raises(InvalidToken) as refused:
        await (checker or verifier()).verify(token)
    assert refused.value.code == "UNAUTHENTICATED"
    return refused.value.message


async def test_a_valid_token_becomes_its_principal() -> None:
    payload = claims(scope="kafka:read:* kafka:write:shop.*", tenant="acme", level=3)
    token = RSA.sign(payload)
    principal = await verifier().verify(token)
    assert principal.id == principal.subject == "alice"
    assert principal.authenticated
    assert principal.scopes == {"kafka:read:*", "kafka:write:shop.*"}
    assert principal.expires_at == payload["exp"]
    # String claims are kept for the rules that name them; never the token itself.
    assert principal.claims["tenant"] == "acme"
    assert "level" not in principal.claims
    assert token not in repr(principal)
    assert all(token not in v for v in principal.claims.values())


@pytest.mark.parametrize(
    ("scope_claims", "expected"),
    [
        ({"scope": "a b  c"}, {"a", "b", "c"}),
        ({"scope": None, "scp": ["a", "b", 3, ""]}, {"a", "b"}),
        ({"scope": None, "scp": "a b"}, {"a", "b"}),
        ({"scope": None, "permissions": ["kafka:admin"]}, {"kafka:admin"}),
        ({"scope": "a", "scp": ["b"], "permissions": ["c"]}, {"a", "b", "c"}),
        ({"scope": None}, set()),
        ({"scope": {"not": "scopes"}}, set()),
    ],
)
async def test_scopes_as_identity_providers_write_them(
    scope_claims: dict[str, Any], expected: set[str]
) -> None:
    principal = await verifier().verify(RSA.sign(claims(**scope_claims)))
    assert principal.scopes == expected


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
async def test_alg_none_is_refused(alg: str) -> None:
    assert await refusal(unsigned(claims(), alg)) == "the token's algorithm is not accepted"


async def test_an_algorithm_off_the_allow_list_is_refused() -> None:
    token = RSA.sign(claims(), alg="RS512")
    assert await refusal(token) == "the token's algorithm is not accepted"
    assert await refusal(hs_token(claims())) == "the token's algorithm is not accepted"


@pytest.mark.parametrize("form", ["pem", "jwk"])
async def test_hs256_signed_with_the_public_key_is_refused(form: str) -> None:
    """Key confusion: the attacker signs HS256 with the public key as the secret. HS tokens are
    checked against the shared secret only, never against a public key."""
    secret = RSA.public_pem() if form == "pem" else json.dumps(RSA.public_jwk()).encode()
    token = hs256_with(secret, claims(), kid=RSA.kid)
    both = verifier(algorithms=("RS256", "HS256"), jwk_pairs=[RSA])
    assert await refusal(token, both) == "the token's signature does not verify"
    # With HS256 off the list it never gets that far.
    assert (
        await refusal(token, verifier(jwk_pairs=[RSA])) == "the token's algorithm is not accepted"
    )


async def test_hs256_with_the_shared_secret_is_accepted_when_listed() -> None:
    principal = await verifier(algorithms=("HS256",), pem=None).verify(hs_token(claims()))
    assert principal.subject == "alice"


@pytest.mark.parametrize("claim", ["exp", "iss", "aud", "sub"])
async def test_required_claims(claim: str) -> None:
    payload = claims()
    del payload[claim]
    assert await refusal(RSA.sign(payload)) == f"the token has no `{claim}` claim"


async def test_an_empty_subject_is_no_subject() -> None:
    assert await refusal(RSA.sign(claims(sub=""))) == "the token has no `sub` claim"


@pytest.mark.parametrize(
    "issuer", ["https://evil.example/", ISSUER.rstrip("/"), ISSUER + "x", "id.example.test"]
)
async def test_the_issuer_must_match_exactly(issuer: str) -> None:
    token = RSA.sign(claims(iss=issuer))
    assert await refusal(token) == "the token's issuer is not accepted"


@pytest.mark.parametrize("audience", ["other", AUDIENCE + "x", AUDIENCE[:-1], ["a", "b"]])
async def test_the_audience_must_match_exactly(audience: object) -> None:
    assert await refusal(RSA.sign(claims(aud=audience))) == "the token's audience is not accepted"


async def test_an_audience_list_naming_the_gateway_is_accepted() -> None:
    await verifier().verify(RSA.sign(claims(aud=["other", AUDIENCE])))


async def test_expiry_with_leeway() -> None:
    now = int(time.time())
    assert await refusal(RSA.sign(claims(exp=now - 31))) == "the token has expired"
    # Within the leeway (30 s) a just-expired token still counts, for clock skew.
    await verifier().verify(RSA.sign(claims(exp=now - 20)))
    strict = verifier(leeway_s=0)
    assert await refusal(RSA.sign(claims(exp=now - 1)), strict) == "the token has expired"


async def test_not_yet_valid() -> None:
    now = int(time.time())
    assert await refusal(RSA.sign(claims(nbf=now + 120))) == "the token is not valid yet"
    assert await refusal(RSA.sign(claims(iat=now + 120))) == "the token is not valid yet"
    await verifier().verify(RSA.sign(claims(nbf=now + 10)))  # within the leeway


@pytest.mark.parametrize(
    "header",
    [
        {"jku": "https://evil.example/jwks.json"},
        {"x5u": "https://evil.example/cert.pem"},
        {"jwk": {"kty": "RSA", "n": "AQAB", "e": "AQAB"}},
        {"x5c": ["MIIB"]},
    ],
)
async def test_headers_that_bring_their_own_key_are_refused(header: dict[str, Any]) -> None:
    # Signed with the trusted key, so only the header is at fault.
    token = RSA.sign(claims(), headers=header)
    (name,) = header
    assert await refusal(token) == f"tokens with a `{name}` header are refused"


@pytest.mark.parametrize("header", [{"crit": ["exp"]}, {"b64": False}])
async def test_headers_that_change_how_a_token_is_read_are_refused(header: dict[str, Any]) -> None:
    # pyjwt adds `crit: ["b64"]` to a b64 token, and refuses an unknown `crit` itself.
    assert await refusal(RSA.sign(claims(), headers=header)) in (
        "tokens with a `crit` header are refused",
        "the token is malformed",
    )


async def test_an_embedded_jwk_is_never_used() -> None:
    attacker = rsa_pair("attacker")
    token = attacker.sign(claims(), headers={"jwk": attacker.public_jwk()})
    assert await refusal(token) == "tokens with a `jwk` header are refused"


async def test_a_token_signed_by_another_key() -> None:
    assert await refusal(OTHER_RSA.sign(claims())) == "the token's signature does not verify"


async def test_kid_picks_the_jwk() -> None:
    checker = verifier(algorithms=("RS256", "ES256"), pem=None, jwk_pairs=[RSA, EC, OTHER_RSA])
    assert (await checker.verify(EC.sign(claims(sub="ec"), alg="ES256"))).subject == "ec"
    assert (await checker.verify(OTHER_RSA.sign(claims(sub="o")))).subject == "o"
    # A kid naming a key of another type (an EC key for an RS256 token) verifies nothing.
    wrong = RSA.sign(claims(), headers={"kid": EC.kid})
    assert await refusal(wrong, checker) == "no key of this gateway can verify the token"
    unknown = RSA.sign(claims(), headers={"kid": "who-knows"})
    assert await refusal(unknown, checker) == "no key of this gateway can verify the token"


async def test_the_pem_key_verifies_tokens_whose_kid_no_jwk_has() -> None:
    checker = verifier(pem=RSA, jwk_pairs=[OTHER_RSA])
    assert (await checker.verify(RSA.sign(claims(), headers={"kid": "anything"}))).subject
    assert (await checker.verify(RSA.sign(claims(), kid=None))).subject
    assert (await checker.verify(OTHER_RSA.sign(claims(), kid=None))).subject


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.e30", "x" * 20_000])
async def test_malformed_tokens(token: str) -> None:
    assert await refusal(token) in ("the token is malformed", "the token is too long")


async def test_the_remote_jwks_is_asked_for_an_unknown_kid() -> None:
    documents = [jwks(OTHER_RSA), jwks(OTHER_RSA, RSA)]
    fetched = 0
    now = 0.0

    async def fetch() -> object:
        nonlocal fetched
        fetched += 1
        return documents[min(fetched, 2) - 1]

    cache = JwksCache(fetch, clock=lambda: now)
    checker = TokenVerifier(
        AuthSettings(algorithms=("RS256",), issuer=ISSUER, audience=AUDIENCE),
        PublicKeys(remote=cache),
    )
    assert (await checker.verify(OTHER_RSA.sign(claims()))).subject == "alice"
    assert fetched == 1
    # The provider rotated in a key: known only after the next permitted fetch.
    assert (
        await refusal(RSA.sign(claims()), checker) == "no key of this gateway can verify the token"
    )
    assert fetched == 1
    now = 30.0
    assert (await checker.verify(RSA.sign(claims()))).subject == "alice"
    assert fetched == 2
