"""Subscription resolvers: live streams, optionally replaying history first."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from contextlib import aclosing
from typing import Any

from kafka_graphql.core.auth.field_masks import FieldView
from kafka_graphql.core.cursor import CursorSealer
from kafka_graphql.core.errors import StreamInterrupted, Undeliverable
from kafka_graphql.core.filters.predicates import index_hint
from kafka_graphql.core.limits.delivery import Matched, deliver
from kafka_graphql.core.typed.generic import caller_view, decoded_predicate, decoded_record
from kafka_graphql.core.typed.records import TypedRecords
from kafka_graphql.graphql.context import Info
from kafka_graphql.graphql.resolvers.convert import to_message
from kafka_graphql.graphql.resolvers.filtering import client_filter
from kafka_graphql.graphql.resolvers.positions import plan_read
from kafka_graphql.graphql.resolvers.slots import SubscriptionSlot, take_subscription_slot
from kafka_graphql.graphql.schema.inputs import MessageFilter
from kafka_graphql.graphql.schema.scalars import Cursor, DateTime, Long
from kafka_graphql.graphql.schema.types import Message
from kafka_graphql.graphql.shared import Relay, join_relay
from kafka_graphql.graphql.stream_failures import at, ended, take_in_flight
from kafka_graphql.kafka import Record

log = logging.getLogger(__name__)


async def resolve_message_stream(
    info: Info,
    topic: str,
    filter: MessageFilter | None = None,
    after: Cursor | None = None,
    from_offset: Long | None = None,
    from_timestamp: DateTime | None = None,
    partitions: list[int] | None = None,
) -> AsyncGenerator[Message, None]:
    """Validate everything before the stream starts, so that bad input is answered with an
    `error` message rather than a broken stream; then stream."""
    context = info.context
    slot = take_subscription_slot(context)
    try:
        typed = context.typed.get(topic)
        view = caller_view(typed, context.principal.scopes)
        wanted = client_filter(context, filter)
        plan = await plan_read(
            context,
            topic,
            partitions=partitions,
            filter_spec=None,
            predicate=decoded_predicate(typed, view, wanted.predicate),
            hint=index_hint(wanted.spec),
            after=after,
            from_offset=from_offset,
            from_timestamp=from_timestamp,
            live=True,
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
    matched = _matched(typed, view, plan.predicate, plan.visible, records, context.cursors)
    return delivered(info, plan.topic, view, slot, matched, records)


async def delivered(
    info: Info,
    topic: str,
    view: FieldView,
    slot: SubscriptionSlot,
    matched: AsyncGenerator[Matched, None],
    records: AsyncIterator[tuple[Record, Mapping[int, int]]],
) -> AsyncGenerator[Any, None]:
    """A subscription's messages, as the caller's delivery budget lets them through; when it
    ends, however it ends, it gives back its slot and closes `matched` and the Kafka stream.

    On a WebSocket, a message is sent from here on the shared path (graphql/shared/relay.py) when it
    can be; the others are yielded to graphql-core, in order. A failure of this stream's own
    (graphql/stream_failures.py) ends it with its own error and the cursor to resume from."""
    context = info.context
    shared: Relay | None = None
    in_flight = take_in_flight()
    message: Any = None
    try:
        shared = _join(info, topic, view)
        delivering = deliver(context.limits, context.principal.id, matched, context.cursors)
        async with aclosing(delivering) as messages:
            async for message in messages:
                if shared is not None:
                    try:
                        sent = await shared.send(message)
                    except Exception as error:
                        cause = error.cause if isinstance(error, Undeliverable) else error
                        raise StreamInterrupted(topic, message.resume_positions(), cause) from error
                    if sent:
                        # message.release(), inline: this is every shared delivery's path.
                        message.__dict__.clear()
                        continue
                if in_flight is not None:
                    in_flight.message = message
                yield message
                # Sent (the handler asks for the next one only then).
                if in_flight is not None:
                    in_flight.message = None
                message.release()
                message = None
    except StreamInterrupted as stopped:
        raise ended(stopped, context.cursors) from None
    finally:
        if shared is not None:
            shared.leave()
        slot.release()
        await matched.aclose()
        await records.aclose()  # type: ignore[attr-defined]


def _join(info: Info, topic: str, view: FieldView) -> Relay | None:
    """The shared path, or None; a group that cannot be joined leaves the stream on the normal
    path rather than ending it."""
    try:
        return join_relay(info, topic, view)
    except Exception:
        log.exception("a subscription to %s could not join its shared group", topic)
        return None


async def _matched(
    typed: TypedRecords | None,
    view: FieldView,
    predicate: Callable[[Record], bool],
    visible: Callable[[Record], bool],
    records: AsyncIterator[tuple[Record, Mapping[int, int]]],
    cursors: CursorSealer,
) -> AsyncGenerator[Matched, None]:
    async for record, positions in records:
        try:
            decoded = await decoded_record(typed, view, record)
            # Checked again: a value decoded only now (a new writer schema) may not match.
            wanted = (typed is None or predicate(decoded)) and visible(record)
            message = to_message(decoded, positions, cursors) if wanted else None
        except Exception as error:  # this stream's own failure, on this record
            raise StreamInterrupted(record.topic, at(record, positions), error) from error
        if message is not None:
            yield record, positions, message
        # Nothing of this record is kept while the next one is awaited.
        del record, decoded, message
