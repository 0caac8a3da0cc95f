"""Typed topics at start-up: what refuses to start, and the check of record rules' paths (the
loading itself, with the registry client: schema_registry/typed_topics.py)."""

from __future__ import annotations

from kafka_graphql.core.typed.paths import claim_path_problem
from kafka_graphql.core.typed.topic import TypedTopic
from kafka_graphql.settings import Settings


class StartupFailed(Exception):
    """A typed topic cannot be served; the message is the one line `main()` exits with."""


def check_record_paths(settings: Settings, loaded: dict[str, TypedTopic]) -> None:
    """A typed topic's `records.value` must name a field of its schema that can hold a claim
    (a rule that can never match would hide every record without saying why)."""
    for i, rule in enumerate(settings.topics):
        typed = loaded.get(rule.name)
        if typed is None or rule.records is None or rule.records.value is None:
            continue
        problem = claim_path_problem(typed.model, rule.records.path)
        if problem is not None:
            raise StartupFailed(
                f"topics[{i}].records.value {rule.records.value!r} of topic {rule.name} "
                f"({typed.source}): {problem}"
            )
