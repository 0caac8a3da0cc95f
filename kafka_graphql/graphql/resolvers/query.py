"""Query resolvers: topics and bounded history reads."""

from __future__ import annotations

from kafka_graphql.core.errors import BadUserInput
from kafka_graphql.core.slices import Slices
from kafka_graphql.core.typed.generic import caller_view, decoded_predicate, decoded_record
from kafka_graphql.graphql.context import Info
from kafka_graphql.graphql.resolvers.convert import to_message
from kafka_graphql.graphql.resolvers.filtering import client_filter, report_page
from kafka_graphql.graphql.resolvers.positions import plan_read
from kafka_graphql.graphql.resolvers.topics import resolve_topic_name, resolve_topic_names
from kafka_graphql.graphql.schema.inputs import MessageFilter
from kafka_graphql.graphql.schema.scalars import Cursor, DateTime, Long
from kafka_graphql.graphql.schema.topic import Topic
from kafka_graphql.graphql.schema.types import MessagePage


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
) -> MessagePage:
    context = info.context
    max_page = context.settings.limits.max_page_size
    limit = 20 if limit is None else limit
    if not 1 <= limit <= max_page:
        raise BadUserInput(f"limit must be between 1 and {max_page}")
    wanted = client_filter(context, filter)
    typed = context.typed.get(topic)
    view = caller_view(typed, context.principal.scopes)
    plan = await plan_read(
        context,
        topic,
        partitions=partitions,
        filter_spec=None,
        predicate=decoded_predicate(typed, view, wanted.predicate),
        after=after,
        from_offset=from_offset,
        from_timestamp=from_timestamp,
        live=False,
    )
    assert plan.start is not None  # history reads always have a start
    end = {p: o.latest for p, o in plan.offsets.items()}
    page = await context.kafka.read_page(
        plan.topic,
        plan.start,
        end,
        limit,
        plan.predicate,
        context.settings.limits.max_scan_records,
        owner=context.principal.id,
    )
    report_page(context, wanted.size, plan.start, page.positions)
    # Each message's cursor: the page's positions up to and including that message.
    positions = dict(plan.start)
    messages = []
    slices = Slices()  # a typed topic's values are decoded here, up to a page of them
    for record in page.records:
        await slices.tick()
        positions[record.partition] = record.offset + 1
        decoded = await decoded_record(typed, view, record)
        # Checked again: a value decoded only now (a new writer schema) may not match.
        if (typed is None or plan.predicate(decoded)) and plan.visible(record):
            messages.append(to_message(decoded, positions, context.cursors))
    return MessagePage(
        messages=messages,
        next_cursor=Cursor(context.cursors.seal(plan.topic, page.positions)),
        has_more=page.has_more,
    )
