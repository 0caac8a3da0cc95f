"""Which Kafka topics the API exposes. A topic that no rule matches is invisible and unusable:
it answers exactly like a topic that does not exist."""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase

from kafka_graphql.settings import TopicRule


class TopicRegistry:
    def __init__(self, rules: Iterable[TopicRule]) -> None:
        self._rules = tuple(rules)

    def rule_for(self, topic: str) -> TopicRule | None:
        # Exact names win over patterns so that a topic can carry its own settings.
        for rule in self._rules:
            if rule.name == topic:
                return rule
        for rule in self._rules:
            if fnmatchcase(topic, rule.name):
                return rule
        return None

    def is_exposed(self, topic: str) -> bool:
        # Kafka's internal topics (__consumer_offsets, ...) are never exposed, whatever the rules.
        return not topic.startswith("__") and self.rule_for(topic) is not None

    def exposed(self, topics: Iterable[str]) -> list[str]:
        return sorted(t for t in topics if self.is_exposed(t))

    def topics_to_create(self) -> dict[str, int]:
        return {r.name: r.partitions for r in self._rules if r.partitions is not None}
