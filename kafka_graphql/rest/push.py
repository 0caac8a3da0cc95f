"""`GET /topics/{topic}/records` with `Accept: text/event-stream`: the topic pushed as
Server-Sent Events, through the same core as a GraphQL subscription (core/streams.py), with the
same delivery budget (core/limits/delivery.py) and subscription cap, reported to telemetry as a
subscription.

Everything is checked before the answer starts (the caller, the topic, the filter, the cursor),
so that a refusal is Confluent's error body with its status; once it streams, an error ends the
stream with an `error` event carrying that body and the cursor to resume from."""

from __future__ import annotations

import contextlib
import copy
import hashlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing

from aiohttp import hdrs, web

from kafka_graphql.core.errors import GatewayError, StreamFailed, StreamInterrupted
from kafka_graphql.core.limits.delivery import Matched, deliver
from kafka_graphql.core.selection import MessageFilter
from kafka_graphql.core.streams import open_stream
from kafka_graphql.core.telemetry import CURRENT_OPERATION, REST, Operation, Subscription
from kafka_graphql.http.event_stream import EVENT_STREAM, KEEP_ALIVE, STREAM_HEADERS, paced
from kafka_graphql.http.state import SETTINGS
from kafka_graphql.rest.call import Call, rest_call
from kafka_graphql.rest.errors import RestError, error_body
from kafka_graphql.rest.push_events import (
    PushMessage,
    build_push_message,
    error_event,
    filter_of,
    start_of,
)

log = logging.getLogger(__name__)

FAILED = (
    "this stream failed on a record and has ended (the gateway logged why); reconnect with "
    "Last-Event-ID set to `cursor` to continue where it ended"
)


async def push_records(request: web.Request) -> web.StreamResponse:
    call = rest_call(request)
    if EVENT_STREAM not in request.headers.get(hdrs.ACCEPT, ""):
        raise RestError(406, f"this resource is served as {EVENT_STREAM} only (Accept)")
    start = start_of(request.query, request.headers.get("Last-Event-ID"))
    given = filter_of(request.query)
    limits, principal = call.core.limits, call.principal.id
    limits.check_subscription(principal)
    limits.open_subscription(principal)
    try:
        stream = await open_stream(
            call.core, call.principal, request.match_info["topic"], start, given, build_push_message
        )
        tally = _subscription(call, stream.topic, given)
        telemetry = call.core.telemetry
        telemetry.subscription_started(tally)
        try:
            response = web.StreamResponse(headers=STREAM_HEADERS)
            await response.prepare(request)
            with contextlib.suppress(ConnectionError):  # the client went away
                await _stream(request, response, call, stream.matched, tally, start.after)
            return response
        finally:
            await stream.aclose()
            telemetry.subscription_ended(tally)
    finally:
        limits.close_subscription(principal)


async def _stream(
    request: web.Request,
    response: web.StreamResponse,
    call: Call,
    matched: AsyncIterator[Matched],
    tally: Subscription,
    resume: str | None,
) -> None:
    """The events, as the caller's delivery budget lets them through; `resume`: the cursor a
    failure without one of its own resumes from (the last event's, once there is one)."""
    limits, principal = call.core.limits, call.principal.id
    try:
        delivering = deliver(limits, principal, matched, call.core.cursors, tally)
        # Both closed here, the events first (they may be awaiting the next message), however
        # the stream ends: a write to a client that went away included.
        async with (
            aclosing(delivering) as messages,
            aclosing(_events(request, messages)) as events,
        ):
            async for event, cursor in events:
                resume = cursor or resume
                await response.write(event)
    except ConnectionError:
        raise
    except Exception as error:  # noqa: BLE001 - ends this stream with an error event
        await _end_with(response, tally, error, call, resume)


async def _events(
    request: web.Request, messages: AsyncIterator[PushMessage]
) -> AsyncGenerator[tuple[bytes, str | None], None]:
    """Each event and its cursor; a keep-alive (no cursor) when the stream is idle for
    `rest.push_heartbeat_s`. Ends when the client has gone."""
    heartbeat_s = request.app[SETTINGS].rest.push_heartbeat_s
    async with aclosing(paced(request, messages, heartbeat_s)) as items:
        async for message in items:
            if message is None:
                yield KEEP_ALIVE, None
                continue
            cursor = message.cursor()
            yield message.event(cursor), cursor


async def _end_with(
    response: web.StreamResponse,
    tally: Subscription,
    error: Exception,
    call: Call,
    resume: str | None,
) -> None:
    """The `error` event that ends the stream: the cause's Confluent body when it is one of the
    gateway's coded errors, else a masked one (logged once), and the cursor to resume from."""
    cursor = resume
    if isinstance(error, StreamInterrupted):
        cursor = call.core.cursors.seal(error.topic, error.positions)
        cause: BaseException = error.cause
    else:
        cause = error
    if isinstance(cause, GatewayError):
        ended = copy.copy(cause)
    else:
        log.error("a push stream of %s failed and was ended", tally.topic, exc_info=cause)
        ended = StreamFailed(FAILED)
    cursor = ended.extensions.get("cursor", cursor)
    tally.code = ended.code
    retry_after = ended.extensions.get("retryAfter")
    retry_ms = retry_after * 1000 if isinstance(retry_after, int) else None
    body = error_body(ended)
    with contextlib.suppress(ConnectionError):
        await response.write(error_event(body, cursor, retry_ms))


def _subscription(call: Call, topic: str, given: MessageFilter) -> Subscription:
    operation = CURRENT_OPERATION.get()
    if operation is None:  # not through the seam (never, when served)
        operation = Operation(REST, "subscription", "", call.principal.subject or "anonymous", None)
    # A digest, never the filter: its values may be what the caller keeps private.
    digest = hashlib.sha256(repr(given).encode()).hexdigest()[:16] if given.plain else None
    return Subscription(operation, topic, digest)
