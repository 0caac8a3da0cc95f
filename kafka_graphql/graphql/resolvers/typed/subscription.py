"""The typed subscription (`orders(where, after, ...)`), bound per topic: the same stream as
`messages` (graphql/resolvers/subscription.py), with the topic's `where` and messages."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from typing import Any, Optional

from kafka_graphql.core.reads import Start
from kafka_graphql.core.selection import TypedWhere
from kafka_graphql.graphql.context import Info
from kafka_graphql.graphql.resolvers.convert import gap_mode
from kafka_graphql.graphql.resolvers.subscription import opened
from kafka_graphql.graphql.resolvers.typed.bound import BoundTopic, with_annotations
from kafka_graphql.graphql.schema.scalars import Cursor, DateTime, Long
from kafka_graphql.graphql.schema.types import OnGap


def stream_resolver(bound: BoundTopic) -> Callable[..., Any]:
    async def resolve(
        info: Info,
        where: Any = None,
        after: Cursor | None = None,
        from_offset: Long | None = None,
        from_timestamp: DateTime | None = None,
        partitions: list[int] | None = None,
        on_gap: OnGap = OnGap.REPORT,
    ) -> AsyncGenerator[Any, None]:
        start = Start(after, from_offset, from_timestamp, partitions, gap_mode(on_gap))
        given = TypedWhere(bound.records, bound.plain_where(where))
        return await opened(info, bound.topic, start, given, bound.message)

    where_type = Optional[bound.where_type] if bound.where_type else None  # noqa: UP045
    message: Any = bound.message_type
    with_annotations(resolve, AsyncGenerator[message, None], where=where_type)
    return resolve
