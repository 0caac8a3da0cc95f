"""The checks every resolver makes before it touches a topic."""

from __future__ import annotations

from kafka_graphql.context import Context
from kafka_graphql.errors import BadUserInput, NotFound

MAX_TOPIC_NAME = 249  # Kafka's own limit


def exposed_topic(context: Context, topic: str) -> str:
    """`topic` if the API exposes it. Unexposed topics answer exactly like missing ones."""
    if not topic or len(topic) > MAX_TOPIC_NAME:
        raise BadUserInput("topic must be a name of 1 to 249 characters")
    if not context.topics.is_exposed(topic):
        raise NotFound(f"topic {topic!r} not found")
    return topic
