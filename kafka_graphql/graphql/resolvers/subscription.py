"""Subscription resolvers: live streams, optionally replaying history first."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

from kafka_graphql.core import selection
from kafka_graphql.core.auth.field_masks import FieldView
from kafka_graphql.core.delivery_spans import delivering as delivering_record
from kafka_graphql.core.errors import GatewayError, StreamInterrupted, Undeliverable
from kafka_graphql.core.limits.delivery import deliver
from kafka_graphql.core.reads import Start
from kafka_graphql.core.selection import Build, RecordFilter
from kafka_graphql.core.streams import Stream, open_stream
from kafka_graphql.core.telemetry import CURRENT_OPERATION, GRAPHQL, Operation, Subscription
from kafka_graphql.graphql.context import Info
from kafka_graphql.graphql.resolvers.convert import build_message, filter_plain, gap_mode
from kafka_graphql.graphql.resolvers.slots import SubscriptionSlot, take_subscription_slot
from kafka_graphql.graphql.schema.inputs import MessageFilter
from kafka_graphql.graphql.schema.scalars import Cursor, DateTime, Long
from kafka_graphql.graphql.schema.types import Message, OnGap
from kafka_graphql.graphql.shared import Relay, join_relay
from kafka_graphql.graphql.stream_failures import ended, take_in_flight

log = logging.getLogger(__name__)


async def resolve_message_stream(
    info: Info,
    topic: str,
    filter: MessageFilter | None = None,
    after: Cursor | None = None,
    from_offset: Long | None = None,
    from_timestamp: DateTime | None = None,
    partitions: list[int] | None = None,
    on_gap: OnGap = OnGap.REPORT,
) -> AsyncGenerator[Message, None]:
    """Validate everything before the stream starts, so that bad input is answered with an
    `error` message rather than a broken stream; then stream."""
    start = Start(after, from_offset, from_timestamp, partitions, gap_mode(on_gap))
    given = selection.MessageFilter(filter_plain(filter))
    return await opened(info, topic, start, given, build_message)


async def opened(
    info: Info, topic: str, start: Start, given: RecordFilter, build: Build[object]
) -> AsyncGenerator[Any, None]:
    """The stream of every subscription (generic or typed): its slot in the caller's cap taken
    first, then the core's stream, delivered."""
    context = info.context
    slot = take_subscription_slot(context)
    try:
        stream = await open_stream(context.core, context.principal, topic, start, given, build)
    except BaseException:
        slot.release()
        raise
    return delivered(info, stream, slot, _subscription(info, stream.topic, given))


def _subscription(info: Info, topic: str, given: RecordFilter) -> Subscription:
    operation = CURRENT_OPERATION.get()
    if operation is None:  # not through the schema's extensions (never, when served)
        principal = info.context.principal.subject or "anonymous"
        operation = Operation(GRAPHQL, "subscription", "", principal, None)
    elif operation.operation_name is None:
        # Otherwise named when it ends (graphql/telemetry.py): the stream's reports name it
        # from its start.
        operation.operation_type = "subscription"
        name = info.operation.name
        operation.operation_name = name.value if name is not None else None
    # A digest, never the filter: its values may be what the caller keeps private.
    digest = hashlib.sha256(repr(given).encode()).hexdigest()[:16] if given else None
    return Subscription(operation, topic, digest)


async def delivered(
    info: Info, stream: Stream, slot: SubscriptionSlot, tally: Subscription
) -> AsyncGenerator[Any, None]:
    """A subscription's messages, as the caller's delivery budget lets them through; when it
    ends, however it ends, it gives back its slot and closes the stream.

    On a WebSocket, a message is sent from here on the shared path (graphql/shared/relay.py) when it
    can be; the others are yielded to graphql-core, in order. A failure of this stream's own
    (graphql/stream_failures.py) ends it with its own error and the cursor to resume from."""
    context = info.context
    topic, matched = stream.topic, stream.matched
    shared: Relay | None = None
    in_flight = take_in_flight()
    message: Any = None
    telemetry = context.core.telemetry
    # A span per delivered record (the shared path's are per group: graphql/shared/groups.py).
    traced = telemetry.traces_deliveries
    telemetry.subscription_started(tally)
    try:
        shared = _join(info, topic, stream.view)
        delivering = deliver(context.limits, context.principal.id, matched, context.cursors, tally)
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
                if traced:
                    with delivering_record(telemetry, message.record):
                        yield message
                else:
                    yield message
                # Sent (the handler asks for the next one only then).
                if in_flight is not None:
                    in_flight.message = None
                message.release()
                message = None
    except StreamInterrupted as stopped:
        failure = ended(stopped, context.cursors)
        tally.code = failure.code
        raise failure from None
    except GatewayError as error:
        tally.code = error.code
        raise
    finally:
        if shared is not None:
            shared.leave()
        slot.release()
        await stream.aclose()
        telemetry.subscription_ended(tally)


def _join(info: Info, topic: str, view: FieldView) -> Relay | None:
    """The shared path, or None; a group that cannot be joined leaves the stream on the normal
    path rather than ending it."""
    try:
        return join_relay(info, topic, view)
    except Exception:
        log.exception("a subscription to %s could not join its shared group", topic)
        return None
