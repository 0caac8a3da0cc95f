"""The JWKS URL cache: at most one fetch per 30 s whatever callers send, with a clock the test
moves by hand."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from kafka_graphql.core.auth.jwks import JwksCache, JwksUnavailable
from kafka_graphql.settings.keys import VerificationKey
from tests.tokens import jwks, rsa_pair

OLD, NEW = rsa_pair("old"), rsa_pair("new")


class Provider:
    """A fake identity provider's JWKS endpoint that counts its fetches."""

    def __init__(self) -> None:
        self.document: object = jwks(OLD)
        self.fetches = 0
        self.down = False

    async def fetch(self) -> object:
        self.fetches += 1
        await asyncio.sleep(0)  # let concurrent callers pile up behind the lock
        if self.down:
            raise JwksUnavailable("down")
        return self.document


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def provider() -> Provider:
    return Provider()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def kids(keys: list[VerificationKey]) -> set[str | None]:
    return {k.kid for k in keys}


async def test_a_flood_of_unknown_kids_costs_one_fetch_per_interval(
    provider: Provider, clock: Clock
) -> None:
    cache = JwksCache(provider.fetch, clock=clock)
    flood = [cache.keys(uuid.uuid4().hex) for _ in range(200)]
    for keys in await asyncio.gather(*flood):
        assert kids(keys) == {"old"}
    assert provider.fetches == 1
    for _ in range(200):
        await cache.keys(uuid.uuid4().hex)
    clock.now += 29.9
    await asyncio.gather(*[cache.keys(uuid.uuid4().hex) for _ in range(200)])
    assert provider.fetches == 1
    clock.now += 0.1
    await asyncio.gather(*[cache.keys(uuid.uuid4().hex) for _ in range(200)])
    assert provider.fetches == 2


async def test_known_kids_never_fetch(provider: Provider, clock: Clock) -> None:
    cache = JwksCache(provider.fetch, clock=clock)
    await cache.keys("old")
    for _ in range(10):
        clock.now += 59  # up to the cache's max age (600 s)
        await cache.keys("old")
    assert provider.fetches == 1


async def test_a_rotated_key_is_picked_up_by_its_kid(provider: Provider, clock: Clock) -> None:
    cache = JwksCache(provider.fetch, clock=clock)
    assert kids(await cache.keys("old")) == {"old"}
    provider.document = jwks(OLD, NEW)
    clock.now += 30
    assert kids(await cache.keys("new")) == {"old", "new"}
    assert provider.fetches == 2


async def test_an_old_cache_is_fetched_again(provider: Provider, clock: Clock) -> None:
    """A key the provider withdrew stops verifying within max_age_s."""
    cache = JwksCache(provider.fetch, clock=clock, max_age_s=600)
    await cache.keys(None)
    provider.document = jwks(NEW)
    clock.now += 599
    assert kids(await cache.keys(None)) == {"old"}
    clock.now += 1
    assert kids(await cache.keys(None)) == {"new"}


async def test_an_outage_keeps_the_keys_and_is_not_hammered(
    provider: Provider, clock: Clock
) -> None:
    cache = JwksCache(provider.fetch, clock=clock)
    await cache.keys(None)
    provider.down = True
    clock.now += 30
    assert kids(await cache.keys("unknown")) == {"old"}
    assert provider.fetches == 2
    for _ in range(50):
        await cache.keys(uuid.uuid4().hex)
    assert provider.fetches == 2


async def test_the_first_fetch_failing_leaves_no_keys(provider: Provider, clock: Clock) -> None:
    provider.down = True
    cache = JwksCache(provider.fetch, clock=clock)
    assert await cache.keys("old") == []
    assert await cache.keys("old") == []
    assert provider.fetches == 1
    provider.down = False
    clock.now += 30
    assert kids(await cache.keys("old")) == {"old"}
