"""The checks every call makes before it touches a topic: is it exposed, and may this caller
read (or write) it.

A topic the caller may not read is invisible: every read of it answers exactly like a topic
that does not exist, so its existence cannot be probed. Writing to a topic the caller can see
but may not write answers FORBIDDEN. Without `[auth]` every caller may read and write every
exposed topic.
"""

from __future__ import annotations

from collections.abc import Sequence

from kafka_graphql.core.auth import scopes
from kafka_graphql.core.auth.principal import Principal
from kafka_graphql.core.errors import BadUserInput, Forbidden, NotFound
from kafka_graphql.core.gateway import Core
from kafka_graphql.core.telemetry import CURRENT_OPERATION, Refusal

MAX_TOPIC_NAME = 249  # Kafka's own limit


def exposed_topic(core: Core, topic: str) -> str:
    """`topic` if the API exposes it. Unexposed topics answer exactly like missing ones."""
    if not topic or len(topic) > MAX_TOPIC_NAME:
        raise BadUserInput("topic must be a name of 1 to 249 characters")
    if not core.topics.is_exposed(topic):
        raise NotFound.topic(topic)
    operation = CURRENT_OPERATION.get()
    if operation is not None:
        # Only exposed names: the operation's topics are logged and counted.
        operation.topics.add(topic)
    return topic


def readable_topic(core: Core, principal: Principal, topic: str) -> str:
    """`topic` if the caller may read it; NOT_FOUND, as for a missing topic, otherwise."""
    topic = exposed_topic(core, topic)
    if not may_read(core, principal, topic):
        _refused(core, principal, topic, NotFound.code, "invisible_topic")
        raise NotFound.topic(topic)
    return topic


def writable_topic(core: Core, principal: Principal, topic: str) -> str:
    """`topic` if the caller may write it; FORBIDDEN when it may only read it, NOT_FOUND (as
    for a missing topic) when it may not even do that."""
    topic = exposed_topic(core, topic)
    if may_write(core, principal, topic):
        return topic
    if may_read(core, principal, topic):
        _refused(core, principal, topic, Forbidden.code, "forbidden")
        raise Forbidden(f"no permission to write to topic {topic!r}")
    _refused(core, principal, topic, NotFound.code, "invisible_topic")
    raise NotFound.topic(topic)


def _refused(core: Core, principal: Principal, topic: str, code: str, reason: str) -> None:
    """An exposed topic the caller's scopes keep from it: the caller is told no more than for a
    missing topic, the operators are (the audit log's authorization refusals)."""
    core.telemetry.refused(
        Refusal(
            "authorization",
            code,
            reason,
            principal=principal.subject or "anonymous",
            topic=topic,
        )
    )


def readable_topics(core: Core, principal: Principal, topics: Sequence[str]) -> list[str]:
    """The topics of `topics` (the cluster's names) the caller may read."""
    return [t for t in core.topics.exposed(topics) if may_read(core, principal, t)]


def may_read(core: Core, principal: Principal, topic: str) -> bool:
    """For an exposed topic: may the caller read it?"""
    rule = core.topics.rule_for(topic)
    assert rule is not None
    return core.settings.auth is None or scopes.may_read(principal.scopes, rule, topic)


def may_write(core: Core, principal: Principal, topic: str) -> bool:
    """For an exposed topic: may the caller write it?"""
    rule = core.topics.rule_for(topic)
    assert rule is not None
    return core.settings.auth is None or scopes.may_write(principal.scopes, rule, topic)
