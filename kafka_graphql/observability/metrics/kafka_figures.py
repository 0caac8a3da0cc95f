"""The Kafka layer's figures (`KafkaLayer.figures()`, read when the metrics are) as series: the
live feeds' lag, their consumers' restarts, the producer's replacements."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from kafka_graphql.observability.metrics.families import Families

# For the annotation only: nothing of the Kafka layer (nor aiokafka) is loaded for it.
if TYPE_CHECKING:
    from kafka_graphql.kafka.records import KafkaFigures


class KafkaSeries:
    """Sets the lag gauge to the figures (removing partitions no feed follows any more) and
    adds to the counters what the layer's running totals gained since the last refresh."""

    def __init__(self, families: Families, topic: Callable[[str], str]) -> None:
        self._families = families
        self._topic = topic
        self._lagging: set[tuple[str, str]] = set()
        self._restarts: dict[str, int] = {}
        self._replacements = 0

    def refresh(self, figures: KafkaFigures) -> None:
        families = self._families
        lag: dict[tuple[str, str], int] = {}
        for (topic, partition), behind in figures.feed_lag.items():
            # Topics beyond the label's bound share "other": the worst of them shows.
            key = (self._topic(topic), str(partition))
            lag[key] = max(behind, lag.get(key, 0))
        for gone in self._lagging - lag.keys():
            families.feed_lag.remove(*gone)
        for key, behind in lag.items():
            families.feed_lag.labels(*key).set(behind)
        self._lagging = set(lag)
        for topic, total in figures.feed_restarts.items():
            gained = total - self._restarts.get(topic, 0)
            if gained > 0:
                families.feed_restarts.labels(self._topic(topic)).inc(gained)
                self._restarts[topic] = total
        if figures.producer_replacements > self._replacements:
            families.producer_replacements.inc(figures.producer_replacements - self._replacements)
            self._replacements = figures.producer_replacements
