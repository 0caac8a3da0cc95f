"""The shared path of one WebSocket subscription: frames spliced from the group's payloads.

The handler of each subprotocol (graphql/ws/) marks the task that runs a `subscribe`
(`start`) with a `SharedOperation`: its id, its document and variables, and the frame around a
payload in that subprotocol. The subscription's resolver runs in that task; for a live stream
of a topic it takes the mark (`take_operation`) and joins a group (`Relay`). Its stream then
sends each message with nothing skipped as `head + payload + tail`, written to the socket
directly; everything else (a conflated message with `skipped > 0`, or the first message after
a gap or a reset with `expired > 0` or `reset`, whose payload is this subscriber's own; a
message whose execution has errors) goes the normal way through Strawberry
and graphql-core, which also keeps errors, `complete` and every check before the stream starts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from graphql import DocumentNode
from strawberry.http.exceptions import WebSocketDisconnected

from kafka_graphql.core.auth.field_masks import FieldView
from kafka_graphql.core.record_access import record_rule
from kafka_graphql.core.record_rules import caller_claim
from kafka_graphql.graphql.context import Context, Info
from kafka_graphql.graphql.shared.groups import (
    Encode,
    GroupKey,
    SharedGroup,
    SharedGroups,
    group_key,
)

# A marker no payload can contain: the frame is encoded around it, then cut at it.
_SENTINEL = "\x00payload\x00"

# (head, payload, tail): the frame, made only once it may be written (graphql/ws/sending.py).
Send = Callable[[str | bytes, str | bytes, str | bytes], Awaitable[None]]


@dataclass(slots=True)
class SharedOperation:
    groups: SharedGroups
    query: str
    operation_name: str | None
    variables: dict[str, Any] | None
    head: str | bytes
    tail: str | bytes
    send: Send


_OPERATION: ContextVar[SharedOperation | None] = ContextVar("shared_operation", default=None)


def frame_around(encode: Encode, frame: dict[str, Any]) -> tuple[str | bytes, str | bytes]:
    """`frame` with a payload added last, as encoded before and after the payload, with the
    encoder the normal path uses, so that both paths write the same bytes."""
    encoded, marker = encode({**frame, "payload": _SENTINEL}), encode(_SENTINEL)
    head, found, tail = encoded.partition(marker)  # type: ignore[arg-type]
    assert found, "the encoder must write the payload as it writes the value alone"
    return head, tail


def mark_operation(operation: SharedOperation) -> None:
    """Call in the task that runs the operation, before it runs."""
    _OPERATION.set(operation)


def take_operation() -> SharedOperation | None:
    """The current task's operation, once: the tasks the stream starts later (a topic's feed)
    must not inherit it."""
    operation = _OPERATION.get()
    if operation is not None:
        _OPERATION.set(None)
    return operation


class Relay:
    """One subscriber's membership of its group, until `leave`."""

    __slots__ = ("_group", "_key", "_operation")

    def __init__(self, operation: SharedOperation, key: GroupKey, group: SharedGroup) -> None:
        self._operation = operation
        self._key = key
        self._group = group

    def leave(self) -> None:
        self._operation.groups.leave(self._key, self._group)

    async def send(self, message: Any) -> bool:
        """Send `message` on the shared path; False when it must take the normal one."""
        if message.skipped or message.expired or message.reset:
            return False
        payload = await self._group.payload(message)
        if payload is None:
            return False
        operation = self._operation
        try:
            await operation.send(operation.head, payload, operation.tail)
        except WebSocketDisconnected:
            # The normal path meets the closed socket too, and ends the operation its way.
            return False
        return True


def join_relay(info: Info, topic: str, view: FieldView) -> Relay | None:
    """The shared path for a live stream of `topic` resolved in the current task, when this
    operation was marked for it; None otherwise. A relay must `leave` when its stream ends.

    (Not a context manager: a subscription holds it for its whole life, and a generator-based
    one would cost every idle subscription a suspended frame and its wrapper.)"""
    operation = take_operation()
    if operation is None:
        return None
    context: Context = info.context
    rule = record_rule(context.core, context.principal, topic)
    key = group_key(
        topic=topic,
        query=operation.query,
        operation_name=operation.operation_name,
        variables=operation.variables,
        scopes=frozenset(context.principal.scopes),
        view=view,
        record_claim=None if rule is None else (caller_claim(rule, context.principal.claims),),
    )
    # The operation Strawberry parsed and validated, with its fragments (graphql-core's own view
    # of the resolver's call, which Strawberry's Info wraps); made only for a group's first member.
    raw = info._raw_info

    def document() -> DocumentNode:
        return DocumentNode(definitions=(raw.operation, *raw.fragments.values()))

    group = operation.groups.join(key, raw.schema, document, context, operation.variables)
    return None if group is None else Relay(operation, key, group)
