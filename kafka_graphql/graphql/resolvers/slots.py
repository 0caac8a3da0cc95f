"""A subscription's place in its caller's cap (`limits.max_subscriptions_per_principal`, across
all of the caller's sockets). The cap on one socket, `limits.max_subscriptions_per_connection`,
is checked by the WebSocket handlers against the operations in flight (graphql/ws/).

The place is taken when the subscription is admitted, in the same step as the check and before
the resolver awaits anything: a caller that sends many subscribes at once, on several sockets,
cannot have them all pass the check before any stream has counted. It is released
exactly once: when the stream ends however it ends, when the resolver fails before the stream
exists, or, for a stream that never started, when its socket closes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kafka_graphql.graphql.context import Context


class SubscriptionSlot:
    __slots__ = ("_context", "_principal", "_released")

    def __init__(self, context: Context) -> None:
        self._context = context
        self._principal = context.principal.id
        self._released = False
        context.limits.open_subscription(self._principal)
        context.subscription_slots.add(self)

    def release(self) -> None:
        if self._released:
            return
        self._released = True
        context = self._context
        context.limits.close_subscription(self._principal)
        context.subscription_slots.discard(self)


def take_subscription_slot(context: Context) -> SubscriptionSlot:
    """Raises LimitExceeded when the caller holds as many subscriptions as it may; otherwise the
    stream's slot, counted at once."""
    context.limits.check_subscription(context.principal.id)
    return SubscriptionSlot(context)


def release_subscription_slots(context: Context) -> None:
    """At a socket's close: the slots of streams that were admitted and never started."""
    for slot in list(context.subscription_slots):
        slot.release()
