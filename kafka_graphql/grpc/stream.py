"""ReceiveMessages: the topic streamed through the same core as a GraphQL subscription
(core/streams.py: the shared live feeds), with the same subscription cap, cost and delivery
budget, reported to telemetry as a subscription.

Everything is checked before the first message (the caller, the topic, the filter, the start),
so that a refusal is the call's status. Once it streams, an error ends it with its status and,
in the trailing metadata `kafka-gateway-cursor`, the cursor to resume from: the last message's,
or the failure's own. A token that expires ends the stream with UNAUTHENTICATED the same way.
The stream is written as the client reads it (HTTP/2 flow control): a slow reader waits on its
own stream only, and the bounded buffers under it (core/limits) hold what it has not read."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing

from kafka_graphql.core.errors import (
    GatewayError,
    InvalidToken,
    ShuttingDown,
    StreamFailed,
    StreamInterrupted,
)
from kafka_graphql.core.filters.bounds import filter_caps, measure_filter
from kafka_graphql.core.limits.call_cost import charge, stream_costs
from kafka_graphql.core.limits.delivery import deliver
from kafka_graphql.core.selection import MessageFilter
from kafka_graphql.core.streams import Stream, open_stream
from kafka_graphql.core.telemetry import Subscription
from kafka_graphql.grpc.generated import gateway_pb2 as pb
from kafka_graphql.grpc.messages import filter_of, start_of
from kafka_graphql.grpc.received import Received, received_builder
from kafka_graphql.grpc.seam import Call, Ended

log = logging.getLogger(__name__)

EXPIRED = (
    "the token has expired: call again with a new one, starting from the cursor in the "
    "trailing metadata kafka-gateway-cursor"
)
FAILED = (
    "this stream failed on a record and has ended (the gateway logged why); call again "
    "starting from the cursor in the trailing metadata kafka-gateway-cursor"
)
CLOSED = "the gateway is shutting down; resume on another instance from kafka-gateway-cursor"


async def receive(
    call: Call, request: pb.ReceiveMessagesRequest, started: Callable[[], Awaitable[None]]
) -> AsyncIterator[pb.ReceivedMessage]:
    """`started`: told once the stream exists (the call's initial metadata is sent then, so
    that a client knows its request was accepted before any message comes)."""
    core, principal = call.core, call.principal
    start, given = start_of(request), filter_of(request)
    limits = core.settings.limits
    size = measure_filter(given.plain, filter_caps(limits))
    opening, per_message = stream_costs(
        size, limits.max_scan_records, limits.max_headers_per_record
    )
    charge(core.limits, principal.id, opening + per_message, opening)
    core.limits.check_subscription(principal.id)
    core.limits.open_subscription(principal.id)
    try:
        build = received_builder(core.typed.get(request.topic))
        stream = await open_stream(core, principal, request.topic, start, given, build)
        tally = _subscription(call, stream.topic, given)
        core.telemetry.subscription_started(tally)
        try:
            await started()
            async for message in _messages(call, stream, tally, start.after):
                yield message
        finally:
            await stream.aclose()
            core.telemetry.subscription_ended(tally)
    finally:
        core.limits.close_subscription(principal.id)


async def _messages(
    call: Call, stream: Stream, tally: Subscription, resume: str | None
) -> AsyncIterator[pb.ReceivedMessage]:
    """The stream's messages as the delivery budget lets them through, until it ends with
    Ended (its error and the cursor to resume from)."""
    core, principal = call.core, call.principal
    deadline = _deadline(call)
    delivering = deliver(core.limits, principal.id, stream.matched, core.cursors, tally)
    try:
        async with aclosing(delivering) as messages:
            while True:
                received = await _next(messages, deadline)
                if received is None:
                    raise Ended(ShuttingDown(CLOSED), resume)
                cursor = received.cursor()
                message = received.message(cursor)
                call.operation.bytes_out += message.ByteSize()
                yield message
                resume = cursor
    except Ended:
        raise
    except TimeoutError:
        tally.code = InvalidToken.code
        raise Ended(InvalidToken(EXPIRED, reason="expired"), resume) from None
    except StreamInterrupted as error:
        cursor = core.cursors.seal(error.topic, error.positions)
        raise _ended(tally, error.cause, cursor) from None
    except Exception as error:  # noqa: BLE001 - ends this stream with its status
        raise _ended(tally, error, resume) from None


async def _next(messages: AsyncIterator[Received], deadline: float | None) -> Received | None:
    """The next message (None: the stream ended); TimeoutError once the token has expired."""
    try:
        if deadline is None:
            return await anext(messages)
        async with asyncio.timeout_at(deadline):
            return await anext(messages)
    except StopAsyncIteration:
        return None


def _deadline(call: Call) -> float | None:
    """When the caller's token expires (with the leeway its checks allow), on the loop's clock."""
    auth, expires = call.core.settings.auth, call.principal.expires_at
    if auth is None or expires is None:
        return None
    return asyncio.get_running_loop().time() + (expires + auth.leeway_s - time.time())


def _ended(tally: Subscription, cause: BaseException, cursor: str | None) -> Ended:
    if isinstance(cause, GatewayError):
        error = copy.copy(cause)
    else:
        log.error("a gRPC stream of %s failed and was ended", tally.topic, exc_info=cause)
        error = StreamFailed(FAILED)
    tally.code = error.code
    found = error.extensions.get("cursor")
    return Ended(error, found if isinstance(found, str) else cursor)


def _subscription(call: Call, topic: str, given: MessageFilter) -> Subscription:
    # A digest, never the filter: its values may be what the caller keeps private.
    digest = hashlib.sha256(repr(given).encode()).hexdigest()[:16] if given.plain else None
    return Subscription(call.operation, topic, digest)
