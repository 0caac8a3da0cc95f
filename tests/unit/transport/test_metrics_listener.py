"""The metrics' own listener, over the stand-in for Kafka: the Kafka layer's figures as series
(the lag of feeds that come and go, running totals folded as they grow), and nothing of the
metrics on the public port."""

from __future__ import annotations

import socket

import aiohttp
import pytest
from aiohttp import web

from kafka_graphql.core.typed.startup import StartupFailed
from kafka_graphql.kafka import KafkaFigures
from kafka_graphql.observability.metrics import METRICS
from kafka_graphql.server import create_app
from tests.kafka_stand_in import NotReached
from tests.metrics import metrics_url, scrape
from tests.unit.transport.serving import serve, settings_without_kafka

LAG = "kafka_graphql_feed_lag_records"
RESTARTS = "kafka_graphql_feed_restarts_total"
REPLACED = "kafka_graphql_producer_replacements_total"


def lag_of(series: dict[frozenset[tuple[str, str]], float]) -> dict[tuple[str, str], float]:
    return {(dict(k)["topic"], dict(k)["partition"]): v for k, v in series.items()}


async def test_the_kafka_layers_figures_with_topics_bounded(http: aiohttp.ClientSession) -> None:
    kafka = NotReached()
    settings = settings_without_kafka(metrics={"port": 0, "max_topics": 2})
    async with serve(settings, kafka) as gateway:
        url = metrics_url(gateway.app)
        kafka.kafka_figures = KafkaFigures(
            feed_lag={
                ("test-a", 0): 7,
                ("test-a", 1): 0,
                ("test-b", 0): 3,
                ("test-c", 0): 4,
                ("test-c", 1): 9,
                # Not exposed: never a label of its own.
                ("hidden", 0): 5,
            },
            feed_restarts={"test-a": 2, "test-c": 1},
            producer_replacements=2,
        )
        first = await scrape(http, url)
        kafka.kafka_figures = KafkaFigures(
            feed_lag={("test-a", 0): 1},
            feed_restarts={"test-a": 3, "test-c": 1, "test-d": 1},
            producer_replacements=3,
        )
        second = await scrape(http, url)
    assert lag_of(first.series(LAG)) == {
        ("test-a", "0"): 7,
        ("test-a", "1"): 0,
        ("test-b", "0"): 3,
        # The worst of the topics beyond the bound.
        ("other", "0"): 5,
        ("other", "1"): 9,
    }
    assert first.value(RESTARTS, topic="test-a") == 2
    assert first.value(RESTARTS, topic="other") == 1
    assert first.value(REPLACED) == 2
    # The feeds that closed are gone; the running totals grew by what they gained.
    assert lag_of(second.series(LAG)) == {("test-a", "0"): 1}
    assert second.value(RESTARTS, topic="test-a") == 3
    assert second.value(RESTARTS, topic="other") == 2
    assert second.value(REPLACED) == 3


async def test_the_metrics_are_on_their_own_listener_only(http: aiohttp.ClientSession) -> None:
    settings = settings_without_kafka(metrics={"port": 0, "path": "/internal/metrics"})
    async with serve(settings, NotReached()) as gateway:
        url = metrics_url(gateway.app)
        assert url.endswith("/internal/metrics")
        assert url != gateway.url.replace("/graphql", "/internal/metrics")
        async with http.get(url.replace("/internal/metrics", "/metrics")) as response:
            assert response.status == 404
        for path in ("/metrics", "/internal/metrics"):
            async with http.get(gateway.url.replace("/graphql", path)) as response:
                assert response.status == 404
        assert (await scrape(http, url)).value("kafka_graphql_producer_replacements_total") == 0


async def test_no_listener_when_metrics_are_off() -> None:
    settings = settings_without_kafka(metrics={"enabled": False})
    async with serve(settings, NotReached()) as gateway:
        assert METRICS not in gateway.app


async def test_a_metrics_port_in_use_stops_start_up_with_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = settings_without_kafka(metrics={"port": port})
        runner = web.AppRunner(create_app(settings, kafka=NotReached()))
        try:
            with pytest.raises(StartupFailed) as refused:
                await runner.setup()
        finally:
            await runner.cleanup()
    assert str(refused.value).startswith(
        f"cannot serve the metrics on 127.0.0.1:{port} (metrics.host, metrics.port): "
    )
