"""The root operation types: each field names its resolver; the behaviour lives in
graphql/resolvers/."""

from __future__ import annotations

import strawberry

from kafka_graphql.graphql.resolvers import mutation, query, subscription
from kafka_graphql.graphql.resolvers.rate_limit import resolve_rate_limit
from kafka_graphql.graphql.schema.rate_limit import RateLimit
from kafka_graphql.graphql.schema.topic import Topic
from kafka_graphql.graphql.schema.types import MessagePage, ProduceResult


@strawberry.type
class Query:
    topics: list[Topic] = strawberry.field(
        resolver=query.resolve_topics, description="Topics exposed by this gateway, by name."
    )
    topic: Topic | None = strawberry.field(
        resolver=query.resolve_topic,
        description="One exposed topic, or null if there is no such topic.",
    )

    messages: MessagePage = strawberry.field(
        resolver=query.resolve_messages,
        description="A bounded read of a topic's history (no consumer group, nothing committed). "
        "Starts at the earliest offset unless after, fromOffset or fromTimestamp says otherwise.",
    )
    rate_limit: RateLimit = strawberry.field(
        resolver=resolve_rate_limit,
        description="The caller's budget of cost points; reading it costs nothing.",
    )


@strawberry.type
class Mutation:
    produce: ProduceResult = strawberry.field(
        resolver=mutation.resolve_produce,
        description="Write one message; answered once Kafka acknowledged it (acks=all).",
    )
    produce_batch: list[ProduceResult] = strawberry.field(
        resolver=mutation.resolve_produce_batch,
        description="Write several messages to one topic; results are in the input order.",
    )


@strawberry.type
class Subscription:
    messages = strawberry.subscription(
        resolver=subscription.resolve_message_stream,
        description="Messages of a topic as they arrive. With after, fromOffset or "
        "fromTimestamp it first replays from there, then continues live without a gap.",
    )
