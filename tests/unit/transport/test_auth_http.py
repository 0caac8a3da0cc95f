"""Authentication over HTTP, refused before any Kafka call: every refusal with its status,
challenge and code, and what gets through (over the stand-in for Kafka; that a refused write
writes nothing, and the anonymous scopes over real topics: tests/integration/test_auth_http.py)."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from tests.clients import GraphQLClient
from tests.gateways import RunningGateway
from tests.integration.auth import auth_settings, key_files_fixture  # noqa: F401 (a fixture)
from tests.kafka_stand_in import NotReached
from tests.tokens import (
    HS_SECRET,
    HS_SECRET_ENV,
    claims,
    ec_pair,
    hs256_with,
    hs_token,
    rsa_pair,
    unsigned,
)
from tests.unit.transport.serving import NO_BROKER, serve, settings_without_kafka

RSA, EC = rsa_pair(), ec_pair()
TOPICS = "{ topics { name } }"
INVALID = 'Bearer error="invalid_token"'


@pytest_asyncio.fixture(scope="module")
async def gateway(key_files: tuple[Path, Path], kafka: NotReached) -> AsyncIterator[RunningGateway]:
    pem, jwks = key_files
    settings = auth_settings(
        NO_BROKER,
        pem,
        {
            "algorithms": ["RS256", "ES256", "HS256"],
            "jwks_file": str(jwks),
            "hs_secret_env": HS_SECRET_ENV,
            "leeway_s": 5,
        },
        environ={HS_SECRET_ENV: HS_SECRET},
    )
    async with serve(settings, kafka) as running:
        yield running


@pytest.fixture
def anonymous(gateway: RunningGateway, http: aiohttp.ClientSession) -> GraphQLClient:
    return GraphQLClient(http, gateway.url)


def now() -> int:
    return int(time.time())


REFUSALS: dict[str, tuple[Callable[[], str], str]] = {
    "alg none": (lambda: unsigned(claims()), "the token's algorithm is not accepted"),
    "HS256 signed with the RSA public key (PEM)": (
        lambda: hs256_with(RSA.public_pem(), claims()),
        "the token's signature does not verify",
    ),
    "HS256 signed with the RSA public key (JWK)": (
        lambda: hs256_with(json.dumps(RSA.public_jwk()).encode(), claims(), kid=RSA.kid),
        "the token's signature does not verify",
    ),
    "missing exp": (lambda: RSA.sign(claims(exp=None)), "the token has no `exp` claim"),
    "missing iss": (lambda: RSA.sign(claims(iss=None)), "the token has no `iss` claim"),
    "missing aud": (lambda: RSA.sign(claims(aud=None)), "the token has no `aud` claim"),
    "wrong iss": (
        lambda: RSA.sign(claims(iss="https://evil.example/")),
        "the token's issuer is not accepted",
    ),
    "wrong aud": (
        lambda: RSA.sign(claims(aud="another-api")),
        "the token's audience is not accepted",
    ),
    "expired": (lambda: RSA.sign(claims(exp=now() - 60)), "the token has expired"),
    "not yet valid": (lambda: RSA.sign(claims(nbf=now() + 60)), "the token is not valid yet"),
    "jku header": (
        lambda: RSA.sign(claims(), headers={"jku": "https://evil.example/jwks.json"}),
        "tokens with a `jku` header are refused",
    ),
    "x5u header": (
        lambda: RSA.sign(claims(), headers={"x5u": "https://evil.example/cert.pem"}),
        "tokens with a `x5u` header are refused",
    ),
    "embedded jwk": (
        lambda: rsa_pair("attacker").sign(
            claims(), headers={"jwk": rsa_pair("attacker").public_jwk()}
        ),
        "tokens with a `jwk` header are refused",
    ),
    "unknown signer": (
        lambda: rsa_pair("attacker").sign(claims(), kid=None),
        "the token's signature does not verify",
    ),
    "EC token with an RSA kid": (
        lambda: EC.sign(claims(), alg="ES256", kid=RSA.kid),
        "no key of this gateway can verify the token",
    ),
    "HS256 with another secret": (
        lambda: hs_token(claims(), secret="x" * 64),
        "the token's signature does not verify",
    ),
    "malformed": (lambda: "not.a.jwt", "the token is malformed"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
async def test_refused_tokens(anonymous: GraphQLClient, case: str) -> None:
    make, message = REFUSALS[case]
    response = await anonymous.with_token(make()).raw(TOPICS)
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == INVALID
    assert response.headers["Content-Type"].startswith("application/json")
    # The error names the request, as the response's header does.
    request_id = response.headers["X-Request-ID"]
    assert response.json() == {
        "errors": [
            {"message": message, "extensions": {"code": "UNAUTHENTICATED", "requestId": request_id}}
        ]
    }


@pytest.mark.parametrize(
    "make",
    [
        lambda: RSA.sign(claims()),  # PEM (and its JWK)
        lambda: RSA.sign(claims(), kid=None),
        lambda: EC.sign(claims(), alg="ES256"),  # JWKS file, picked by kid
        lambda: hs_token(claims()),  # the shared secret
        lambda: RSA.sign(claims(exp=now() - 2)),  # expired, within the leeway (5 s)
    ],
)
async def test_accepted_tokens(
    anonymous: GraphQLClient, make: Callable[[], str], kafka: NotReached
) -> None:
    # Served: over the stand-in, from the metadata of a cluster without topics.
    with kafka.empty_cluster():
        response = await anonymous.with_token(make()).raw(TOPICS)
    assert response.status == 200, response.body
    assert "errors" not in response.json()


async def test_no_token_when_required(
    anonymous: GraphQLClient, http: aiohttp.ClientSession
) -> None:
    def expected(request_id: str) -> dict[str, Any]:
        return {
            "errors": [
                {
                    "message": "authentication is required: send a bearer token",
                    "extensions": {"code": "UNAUTHENTICATED", "requestId": request_id},
                }
            ]
        }

    response = await anonymous.raw(TOPICS)
    assert (response.status, response.headers["WWW-Authenticate"]) == (401, "Bearer")
    assert response.json() == expected(response.headers["X-Request-ID"])
    async with http.get(anonymous.url, params={"query": TOPICS}) as get:
        assert (get.status, get.headers["WWW-Authenticate"]) == (401, "Bearer")
        assert await get.json() == expected(get.headers["X-Request-ID"])


async def test_an_upgrade_header_is_no_way_around(anonymous: GraphQLClient) -> None:
    """A plain POST that claims to be a WebSocket upgrade: the middleware leaves upgrades to
    connection_init, and the view still refuses to run an operation without a principal."""
    for headers in ({"Upgrade": "websocket"}, {"Upgrade": "websocket", "Connection": "Upgrade"}):
        response = await anonymous.raw(TOPICS, headers=headers)
        assert (response.status, response.headers["WWW-Authenticate"]) == (401, "Bearer")
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_another_scheme_is_no_token(anonymous: GraphQLClient) -> None:
    response = await anonymous.raw(TOPICS, headers={"Authorization": "Basic YWxpY2U6c2VjcmV0"})
    assert (response.status, response.headers["WWW-Authenticate"]) == (401, "Bearer")
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    for broken in ("Bearer", "Bearer  "):
        response = await anonymous.raw(TOPICS, headers={"Authorization": broken})
        assert (response.status, response.headers["WWW-Authenticate"]) == (401, INVALID)


async def test_what_needs_no_token(anonymous: GraphQLClient, http: aiohttp.ClientSession) -> None:
    """The GraphiQL page (the user pastes a token into its Headers tab) and the probes."""
    async with http.get(anonymous.url, headers={"Accept": "text/html"}) as page:
        assert page.status == 200
        assert "graphiql" in (await page.text()).lower()
    base = anonymous.url.removesuffix("/graphql")
    async with http.get(f"{base}/healthz") as health:
        assert health.status == 200


async def test_tokens_never_reach_the_logs(
    anonymous: GraphQLClient, caplog: pytest.LogCaptureFixture, kafka: NotReached
) -> None:
    caplog.set_level("DEBUG")
    sent = [make() for make, _ in REFUSALS.values()] + [RSA.sign(claims())]
    # The last token is accepted: over the stand-in, the metadata of a cluster without topics.
    with kafka.empty_cluster():
        for token in sent:
            await anonymous.with_token(token).raw(TOPICS)
    signatures = [token.rsplit(".", 1)[-1] for token in sent if token.count(".") == 2]
    assert all(s not in caplog.text for s in signatures if len(s) > 8)
    assert all(token not in caplog.text for token in sent)


async def test_without_auth_the_gateway_warns_and_stays_open(
    http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture, kafka: NotReached
) -> None:
    # Served: over the stand-in, from the metadata of a cluster without topics.
    async with serve(settings_without_kafka(), kafka) as running:
        with kafka.empty_cluster():
            response = await GraphQLClient(http, running.url).raw(TOPICS)
    assert response.status == 200
    assert "errors" not in response.json()
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any(w.startswith("no [auth] table: the gateway is open") for w in warnings)
