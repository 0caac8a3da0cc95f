"""Reading the gateway's metrics as Prometheus does: GET the listener, parse the text format."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from kafka_graphql.observability.metrics import METRICS
from kafka_graphql.settings import MetricsSettings, Settings
from tests.integration.helpers import poll_until

TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8"
Labels = frozenset[tuple[str, str]]


@dataclass(frozen=True)
class Scrape:
    """One scrape: every sample by name and labels, and the families' types."""

    samples: Mapping[tuple[str, Labels], float]
    types: Mapping[str, str]

    def value(self, name: str, **labels: str) -> float:
        """A sample's value; 0 for a series that is not there (yet)."""
        return self.samples.get((name, frozenset(labels.items())), 0.0)

    def series(self, name: str) -> dict[Labels, float]:
        """Every series of sample `name`, by labels."""
        return {labels: v for (sample, labels), v in self.samples.items() if sample == name}

    def delta(self, before: Scrape, name: str, **labels: str) -> float:
        return self.value(name, **labels) - before.value(name, **labels)

    def deltas(self, before: Scrape, name: str) -> dict[Labels, float]:
        """Every series of sample `name` there now, by labels, with what it gained since
        `before`."""
        return {
            labels: v - before.samples.get((name, labels), 0.0)
            for labels, v in self.series(name).items()
        }


def parse(text: str) -> Scrape:
    samples: dict[tuple[str, Labels], float] = {}
    types: dict[str, str] = {}
    for family in text_string_to_metric_families(text):
        types[family.name] = family.type
        for sample in family.samples:
            key = (sample.name, frozenset(sample.labels.items()))
            assert key not in samples, f"{key} twice"
            samples[key] = sample.value
    return Scrape(samples, types)


async def scrape(http: aiohttp.ClientSession, url: str) -> Scrape:
    async with http.get(url) as response:
        assert response.status == 200, await response.text()
        assert response.headers["Content-Type"] == TEXT_FORMAT
        return parse(await response.text())


def metrics_url(app: web.Application) -> str:
    """Where a gateway started with `metrics.port = 0` serves its metrics."""
    url = app[METRICS].url
    assert url is not None, "the metrics listener has not started"
    return url


def with_metrics(settings: Settings, **keys: Any) -> Settings:
    """`settings` with metrics on, on a free port (and `keys` of the [metrics] table)."""
    return settings.model_copy(update={"metrics": MetricsSettings(port=0, **keys)})


async def scraped_when(
    http: aiohttp.ClientSession, url: str, condition: Callable[[Scrape], bool]
) -> Scrape:
    """The first scrape for which `condition` holds (what ends on the server's side, a socket or
    a stream, ends there after the client saw it end; what a watchdog finds, it finds on its
    own time)."""
    found: list[Scrape] = []

    async def holds() -> bool:
        found[:] = [await scrape(http, url)]
        return condition(found[0])

    await poll_until(holds, timeout_s=15, interval_s=0.02)
    return found[0]
