"""What headers cost (docs/limits.md#headers): a point per HEADERS_PER_POINT headers read, per
WRITTEN_HEADERS_PER_POINT written.

A record shows at most `limits.max_headers_per_record` headers, so a `headers` list is priced,
before anything runs, as that many; the actual cost counts those that came back. A produce pays
for the headers it writes, read from its arguments (`headers`, or each message's `headers` in
`messages`, from the variables or the document); one costing cannot read counts as the most a
record may carry.

Measured (docs/limits.md#headers): a page of 200 messages with 64 headers each takes 260-530 ms
to serve. A point per 32 headers prices it at 601 points, about a point per millisecond: the
scale filters are priced on (filter_cost.py), so a page that is heavy by its headers and one
that is heavy by its filter cost alike, and an ordinary page of 50 with headers and a filter
stays well within `limits.max_query_cost`.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from graphql import GraphQLNamedType, ListValueNode, ObjectValueNode, ValueNode

from kafka_graphql.core.limits.headers import too_many_headers
from kafka_graphql.graphql.limits.fields import CollectedField
from kafka_graphql.graphql.limits.values import ABSENT, UNKNOWN, literal

HEADER_TYPE = "Header"
HEADERS_PER_POINT = 32
# Written headers: GraphQL coerces each one (an input object) in one go before anything of ours
# runs, ~16 µs a header, which no slice can interrupt; priced like the messages of a batch.
WRITTEN_HEADERS_PER_POINT = 4


def header_points(count: int) -> int:
    """The points of `count` headers (rounded up)."""
    return -(-count // HEADERS_PER_POINT)


def list_items(named: GraphQLNamedType, returned: int | None, max_headers: int) -> int:
    """How many items a list without a size argument counts: one (the most expensive), except a
    record's headers: their points, as many as a record shows (requested) or as came back
    (`returned`)."""
    if named.name != HEADER_TYPE:
        return 1
    return header_points(max_headers if returned is None else min(returned, max_headers))


def written_header_points(
    field: CollectedField, variables: Mapping[str, Any], max_headers: int, max_batch: int
) -> int:
    """The headers a produce writes, in points; 0 for a field without such arguments.

    Raises the BAD_USER_INPUT the resolver would (core/limits/headers.py) for a message over
    `max_headers`: refused here, before GraphQL coerces its headers one by one (tens of
    thousands fit in a request body)."""
    count = 0
    for argument in field.node.arguments or ():
        name = argument.name.value
        if name == "headers" and name in field.definition.args:
            count += _capped(_value(argument.value, variables), max_headers, ())
        elif name == "messages" and name in field.definition.args:
            messages = _value(argument.value, variables)
            for i, message in enumerate(
                (messages if isinstance(messages, list) else [])[:max_batch]
            ):
                count += _capped(_headers_of(message, variables), max_headers, ("messages", i))
    return -(-count // WRITTEN_HEADERS_PER_POINT)


def _capped(headers: Any, max_headers: int, at: tuple[str | int, ...]) -> int:
    count = _count(headers, max_headers)
    if count > max_headers:
        raise too_many_headers(len(headers), max_headers, at)
    return count


def _value(node: ValueNode, variables: Mapping[str, Any]) -> Any:
    """An argument's value; an object literal stays a node (values.py reads no objects), and a
    single value given for a list is a list of one, as GraphQL coerces it."""
    if isinstance(node, ObjectValueNode):
        return [node]
    if isinstance(node, ListValueNode):
        return [
            item if isinstance(item, ObjectValueNode) else literal(item, variables)
            for item in node.values
        ]
    value = literal(node, variables)
    return [value] if isinstance(value, dict) else value


def _headers_of(message: Any, variables: Mapping[str, Any]) -> Any:
    if isinstance(message, dict):
        return message.get("headers", ABSENT)
    if isinstance(message, ObjectValueNode):
        for entry in message.fields:
            if entry.name.value == "headers":
                return _value(entry.value, variables)
        return ABSENT
    return UNKNOWN


def _count(headers: Any, max_headers: int) -> int:
    if headers is ABSENT or headers is None:
        return 0
    if isinstance(headers, list):
        # More than a record may carry is refused before anything is written.
        return min(len(headers), max_headers + 1)
    if isinstance(headers, dict):
        return 1
    return max_headers  # not a value costing can read: as many as a record may carry


def headers_shape(value: list[Any]) -> Hashable:
    """What costing reads of a list variable's items: how many headers each carries, so that a
    cost kept for one batch (limits/memo.py's CostMemo) serves only batches that cost the same."""
    return tuple(_count(m.get("headers"), 1 << 30) for m in value if isinstance(m, dict))
