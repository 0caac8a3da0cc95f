"""While it serves, the gateway's cyclic collector promotes only what outlives 50,000
allocations (server.py GC_THRESHOLDS: a delivery's short-lived objects die young instead of
setting off full collections over every subscription); a process gets its own thresholds back
when the gateway stops. Only where the process serves the gateway alone (`kafka-graphql`):
a test's gateway leaves the test process's collector as it is."""

from __future__ import annotations

import gc

import aiohttp
from yarl import URL

from kafka_graphql.server import GC_THRESHOLDS
from tests.integration.conftest import gateway_settings, run_gateway


async def test_the_thresholds_hold_while_serving_and_are_given_back(bootstrap: str) -> None:
    before = gc.get_threshold()
    assert before != GC_THRESHOLDS
    async with run_gateway(gateway_settings(bootstrap)):
        assert gc.get_threshold() == before
    async with run_gateway(gateway_settings(bootstrap), tunes_collector=True) as gateway:
        async with (
            aiohttp.ClientSession() as http,
            http.get(URL(gateway.url).with_path("/healthz")) as answer,
        ):
            assert answer.status == 200
        assert gc.get_threshold() == GC_THRESHOLDS
    assert gc.get_threshold() == before
