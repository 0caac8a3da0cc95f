"""A JWKS URL served by a real HTTP server that counts its fetches: keys picked by `kid`, and a
flood of made-up `kid`s costing one fetch, not one per token."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest_asyncio
from aiohttp import web

from tests.clients import GraphQLClient
from tests.integration.auth import auth_settings, key_files_fixture  # noqa: F401 (a fixture)
from tests.integration.conftest import RunningGateway, run_gateway
from tests.tokens import HS_SECRET, HS_SECRET_ENV, claims, ec_pair, hs256_with, jwks, rsa_pair

TOPICS = "{ topics { name } }"
# Keys only the identity provider publishes (the gateway's PEM key is another one).
PROVIDER_RSA, PROVIDER_EC = rsa_pair("provider-rsa"), ec_pair("provider-ec")


@dataclass
class Provider:
    url: str
    fetches: int = 0


@pytest_asyncio.fixture
async def provider() -> AsyncIterator[Provider]:
    async def serve_jwks(request: web.Request) -> web.Response:
        state.fetches += 1
        return web.json_response(jwks(PROVIDER_RSA, PROVIDER_EC))

    app = web.Application()
    app.router.add_get("/.well-known/jwks.json", serve_jwks)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    state = Provider(f"http://{host}:{port}/.well-known/jwks.json")
    try:
        yield state
    finally:
        await runner.cleanup()


@pytest_asyncio.fixture
async def gateway(
    bootstrap: str, key_files: tuple[Path, Path], provider: Provider
) -> AsyncIterator[RunningGateway]:
    settings = auth_settings(
        bootstrap,
        key_files[0],
        {
            "algorithms": ["RS256", "ES256", "HS256"],
            "jwks_url": provider.url,
            "hs_secret_env": HS_SECRET_ENV,
        },
        environ={HS_SECRET_ENV: HS_SECRET},
    )
    async with run_gateway(settings) as running:
        yield running


async def status(client: GraphQLClient, token: str) -> int:
    return (await client.with_token(token).raw(TOPICS)).status


async def test_a_flood_of_unknown_kids_costs_one_fetch(
    gateway: RunningGateway, provider: Provider, http: aiohttp.ClientSession
) -> None:
    client = GraphQLClient(http, gateway.url)
    attacker = rsa_pair("attacker")
    flood = [status(client, attacker.sign(claims(), kid=uuid.uuid4().hex)) for _ in range(100)]
    assert set(await asyncio.gather(*flood)) == {401}
    assert provider.fetches == 1
    # Keys the provider published verify, picked by kid, with no further fetch.
    assert await status(client, PROVIDER_RSA.sign(claims())) == 200
    assert await status(client, PROVIDER_EC.sign(claims(), alg="ES256")) == 200
    flood = [status(client, attacker.sign(claims(), kid=uuid.uuid4().hex)) for _ in range(100)]
    assert set(await asyncio.gather(*flood)) == {401}
    assert provider.fetches == 1


async def test_hs256_signed_with_a_published_key_is_refused(
    gateway: RunningGateway, http: aiohttp.ClientSession
) -> None:
    client = GraphQLClient(http, gateway.url)
    for secret in (PROVIDER_RSA.public_pem(), json.dumps(PROVIDER_RSA.public_jwk()).encode()):
        forged = hs256_with(secret, claims(), kid=PROVIDER_RSA.kid)
        response = await client.with_token(forged).raw(TOPICS)
        assert response.status == 401
        assert response.json()["errors"][0]["message"] == "the token's signature does not verify"
