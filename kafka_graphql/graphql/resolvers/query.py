"""Query resolvers: topics and bounded history reads."""

from __future__ import annotations

from kafka_graphql.core import selection
from kafka_graphql.core.pages import read_page
from kafka_graphql.core.reads import Start
from kafka_graphql.graphql.context import Info
from kafka_graphql.graphql.resolvers.convert import (
    build_message,
    filter_plain,
    gap_mode,
    to_gaps,
    to_resets,
)
from kafka_graphql.graphql.resolvers.filtering import report_page
from kafka_graphql.graphql.resolvers.topics import resolve_topic_name, resolve_topic_names
from kafka_graphql.graphql.schema.inputs import MessageFilter
from kafka_graphql.graphql.schema.scalars import Cursor, DateTime, Long
from kafka_graphql.graphql.schema.topic import Topic
from kafka_graphql.graphql.schema.types import MessagePage, OnGap


async def resolve_topics(info: Info) -> list[Topic]:
    return [Topic(name=name) for name in await resolve_topic_names(info)]


async def resolve_topic(info: Info, name: str) -> Topic | None:
    found = await resolve_topic_name(info, name)
    return Topic(name=found) if found is not None else None


async def resolve_messages(
    info: Info,
    topic: str,
    partitions: list[int] | None = None,
    after: Cursor | None = None,
    from_offset: Long | None = None,
    from_timestamp: DateTime | None = None,
    limit: int | None = 20,
    filter: MessageFilter | None = None,
    on_gap: OnGap = OnGap.REPORT,
) -> MessagePage:
    context = info.context
    page = await read_page(
        context.core,
        context.principal,
        topic,
        Start(after, from_offset, from_timestamp, partitions, gap_mode(on_gap)),
        selection.MessageFilter(filter_plain(filter)),
        20 if limit is None else limit,
        build_message,
    )
    report_page(context, page)
    return MessagePage(
        messages=page.messages,
        gaps=to_gaps(page.gaps),
        resets=to_resets(page.resets),
        next_cursor=Cursor(page.next_cursor),
        has_more=page.has_more,
    )
