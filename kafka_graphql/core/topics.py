"""Which Kafka topics the API exposes. A topic that no rule matches is invisible and unusable:
it answers exactly like a topic that does not exist."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fnmatch import fnmatchcase

from kafka_graphql.settings import TopicRule


class TopicRegistry:
    def __init__(self, rules: Iterable[TopicRule]) -> None:
        self._rules = tuple(rules)
        # The last list of names `exposed` was asked about, and its answer: the cluster's names
        # are one object until its metadata is refreshed, and a document may list them 30 times
        # (aliases) over a cluster of thousands of topics.
        self._exposed: tuple[object, Sequence[str]] = (None, ())

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

    def exposed(self, topics: Sequence[str]) -> Sequence[str]:
        """The exposed names of `topics`, sorted; worked out once per `topics` object."""
        asked, answer = self._exposed
        if asked is not topics:
            answer = tuple(sorted(t for t in topics if self.is_exposed(t)))
            self._exposed = (topics, answer)
        return answer

    def topics_to_create(self) -> dict[str, int]:
        return {r.name: r.partitions for r in self._rules if r.partitions is not None}
