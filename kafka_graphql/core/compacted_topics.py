"""Compacted topics under a record rule (docs/security.md#compacted-topics).

Kafka's compaction keeps the latest record of each key. Under a record rule several tenants write
to one topic: without `key_prefix`, one tenant could write a key another uses, and compaction would
then delete the other's record. So a compacted topic under a rule without `key_prefix` is refused:

- at start-up, every existing topic that such an entry exposes: start-up fails, naming the entry
  and the topic;
- while running, a write to a topic that has become one since (a new topic under a pattern, a
  policy altered to `compact`): FORBIDDEN, nothing written, and the reason logged once per topic.
  Reading it stays possible: no read replaces a record.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from kafka_graphql.core.errors import Forbidden
from kafka_graphql.core.kafka_layer import KafkaLayer
from kafka_graphql.core.topics import TopicRegistry
from kafka_graphql.core.typed.startup import StartupFailed
from kafka_graphql.kafka.topic_configs import is_compacted
from kafka_graphql.settings import RecordRule, TopicRule

log = logging.getLogger(__name__)

# Topics whose refusal was logged, so that a caller writing in a loop does not fill the log.
_LOGGED: set[str] = set()


def needs_key_prefix(rule: TopicRule) -> bool:
    return rule.records is not None and not rule.records.key_prefix


def problem(rules: Sequence[TopicRule], rule: TopicRule, topic: str, policy: str) -> str:
    index = next(i for i, r in enumerate(rules) if r is rule)
    return (
        f"topics[{index}].records: topic {topic!r} is compacted (cleanup.policy={policy}), and "
        "its record rule has no key_prefix = true: a tenant could write another tenant's key, "
        "and compaction would delete the other's record"
    )


async def check_at_startup(
    kafka: KafkaLayer, rules: Sequence[TopicRule], registry: TopicRegistry
) -> None:
    """StartupFailed for the first existing topic that is compacted under a rule without
    `key_prefix`."""
    if not any(needs_key_prefix(r) for r in rules):
        return
    exposed: dict[str, TopicRule] = {}
    for topic in await kafka.topic_names():
        rule = registry.rule_for(topic) if registry.is_exposed(topic) else None
        if rule is not None and needs_key_prefix(rule):
            exposed[topic] = rule
    policies = await kafka.cleanup_policies(exposed)
    for topic in sorted(policies):
        if is_compacted(policies[topic]):
            raise StartupFailed(problem(rules, exposed[topic], topic, policies[topic]))


async def check_write(
    kafka: KafkaLayer, rules: Sequence[TopicRule], rule: TopicRule, bound: RecordRule, topic: str
) -> None:
    """FORBIDDEN when `topic` (written under `bound`, its entry `rule`'s record rule) is
    compacted and the rule has no `key_prefix`."""
    if bound.key_prefix:
        return
    policy = (await kafka.cleanup_policies([topic])).get(topic)
    if policy is None or not is_compacted(policy):
        return
    reason = problem(rules, rule, topic, policy)
    if topic not in _LOGGED:
        _LOGGED.add(topic)
        log.warning("writes refused: %s", reason)
    raise Forbidden(
        f"no write to topic {topic!r}: it is compacted, and its records' rule does not make "
        "every key start with the writer's claim; an operator must set key_prefix"
    )
