"""The typed subscription (`orders(where, after, ...)`), bound per topic."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from typing import Any, Optional

from kafka_graphql.core.auth.field_masks import FieldView
from kafka_graphql.core.cursor import CursorSealer
from kafka_graphql.core.errors import StreamInterrupted
from kafka_graphql.core.limits.delivery import Matched
from kafka_graphql.graphql.context import Info
from kafka_graphql.graphql.limits.filter_cost import filter_caps
from kafka_graphql.graphql.resolvers.positions import plan_read
from kafka_graphql.graphql.resolvers.slots import take_subscription_slot
from kafka_graphql.graphql.resolvers.subscription import delivered
from kafka_graphql.graphql.resolvers.typed.bound import (
    BoundTopic,
    Matcher,
    wanted,
    with_annotations,
)
from kafka_graphql.graphql.schema.scalars import Cursor, DateTime, Long
from kafka_graphql.graphql.stream_failures import at
from kafka_graphql.kafka import Record


def stream_resolver(bound: BoundTopic) -> Callable[..., Any]:
    async def resolve(
        info: Info,
        where: Any = None,
        after: Cursor | None = None,
        from_offset: Long | None = None,
        from_timestamp: DateTime | None = None,
        partitions: list[int] | None = None,
    ) -> AsyncGenerator[Any, None]:
        # Everything is checked before the stream starts, as for `messages`.
        context = info.context
        slot = take_subscription_slot(context)
        try:
            matcher = bound.matcher(where, filter_caps(context.settings.limits))
            view = bound.view(context)
            plan = await plan_read(
                context,
                bound.topic,
                partitions=partitions,
                filter_spec=None,
                after=after,
                from_offset=from_offset,
                from_timestamp=from_timestamp,
                live=True,
                predicate=bound.wanted_now(matcher, view),
                hint=bound.index_hint(where),
            )
        except BaseException:
            slot.release()
            raise
        records = context.kafka.stream(
            plan.topic,
            plan.start,
            frozenset(plan.partitions) if plan.chosen else None,
            plan.predicate,
            context.settings.limits.subscriber_buffer_batches,
            plan.hint,
            owner=context.principal.id,
            holder=context.limits.holdings(context.principal.id),
        )
        matched = _matched(bound, matcher, view, plan.visible, records, context.cursors)
        return delivered(info, plan.topic, view, slot, matched, records)

    where_type = Optional[bound.where_type] if bound.where_type else None  # noqa: UP045
    message: Any = bound.message_type
    with_annotations(resolve, AsyncGenerator[message, None], where=where_type)
    return resolve


async def _matched(
    bound: BoundTopic,
    matcher: Matcher | None,
    view: FieldView,
    visible: Callable[[Record], bool],
    records: AsyncIterator[tuple[Record, Mapping[int, int]]],
    cursors: CursorSealer,
) -> AsyncGenerator[Matched, None]:
    async for record, positions in records:
        try:
            decoded = await bound.records.decode(record)
            # Built for this subscriber alone: its view, never another's, and never a change
            # to the decoded value the topic's subscribers share.
            message = (
                bound.message(record, positions, decoded, view, cursors)
                if wanted(matcher, record, decoded, view) and visible(record)
                else None
            )
        except Exception as error:  # this stream's own failure, on this record
            raise StreamInterrupted(record.topic, at(record, positions), error) from error
        if message is not None:
            yield record, positions, message
        # Nothing of this record is kept while the next one is awaited.
        del record, decoded, message
