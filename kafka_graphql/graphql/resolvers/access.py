"""The checks every resolver makes before it touches a topic: is it exposed, and may this
caller read (or write) it.

A topic the caller may not read is invisible: every read of it answers exactly like a topic
that does not exist, so its existence cannot be probed. Writing to a topic the caller can see
but may not write answers FORBIDDEN. Without `[auth]` every caller may read and write every
exposed topic.
"""

from __future__ import annotations

from collections.abc import Sequence

from kafka_graphql.core.auth import scopes
from kafka_graphql.core.errors import BadUserInput, Forbidden, NotFound
from kafka_graphql.graphql.context import Context

MAX_TOPIC_NAME = 249  # Kafka's own limit


def exposed_topic(context: Context, topic: str) -> str:
    """`topic` if the API exposes it. Unexposed topics answer exactly like missing ones."""
    if not topic or len(topic) > MAX_TOPIC_NAME:
        raise BadUserInput("topic must be a name of 1 to 249 characters")
    if not context.topics.is_exposed(topic):
        raise NotFound.topic(topic)
    return topic


def readable_topic(context: Context, topic: str) -> str:
    """`topic` if the caller may read it; NOT_FOUND, as for a missing topic, otherwise."""
    topic = exposed_topic(context, topic)
    if not may_read(context, topic):
        raise NotFound.topic(topic)
    return topic


def writable_topic(context: Context, topic: str) -> str:
    """`topic` if the caller may write it; FORBIDDEN when it may only read it, NOT_FOUND (as
    for a missing topic) when it may not even do that."""
    topic = exposed_topic(context, topic)
    if may_write(context, topic):
        return topic
    if may_read(context, topic):
        raise Forbidden(f"no permission to write to topic {topic!r}")
    raise NotFound.topic(topic)


def readable_topics(context: Context, topics: Sequence[str]) -> list[str]:
    """The topics of `topics` the caller may read; worked out once per request and `topics`
    object (the cluster's names, kafka/gateway.py), however many aliases ask."""
    asked, answer = context.readable_topics
    if asked is not topics:
        answer = [t for t in context.topics.exposed(topics) if may_read(context, t)]
        context.readable_topics = (topics, answer)
    return list(answer)


def may_read(context: Context, topic: str) -> bool:
    """For an exposed topic: may the caller read it?"""
    rule = context.topics.rule_for(topic)
    assert rule is not None
    return context.settings.auth is None or scopes.may_read(context.principal.scopes, rule, topic)


def may_write(context: Context, topic: str) -> bool:
    """For an exposed topic: may the caller write it?"""
    rule = context.topics.rule_for(topic)
    assert rule is not None
    return context.settings.auth is None or scopes.may_write(context.principal.scopes, rule, topic)
