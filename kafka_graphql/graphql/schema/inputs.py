"""Input types. Converting them to the gateway's own values is the resolvers' job."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import strawberry
from strawberry.types.arguments import InputContext

from kafka_graphql.graphql.schema.scalars import JSON


@strawberry.input(
    description="A header to write or to match. In a filter, a null value matches "
    "any value of a header with that key."
)
class HeaderInput:
    key: str
    value: str | None = None


@strawberry.input(description="One message of a produceBatch.")
class MessageInput:
    value: JSON
    key: str | None = None
    headers: list[HeaderInput] | None = None
    partition: int | None = None


def _headers(values: Sequence[Mapping[str, Any]] | None) -> list[HeaderInput] | None:
    if values is None:
        return None
    return [HeaderInput(key=h["key"], value=h.get("value")) for h in values]


def _message_from_input(
    cls: type[MessageInput], value: Mapping[str, Any], _: InputContext
) -> MessageInput:
    # What Strawberry's own conversion builds (tests/unit/test_inputs.py), without resolving
    # every field's type again for every message of a batch (~30% of a produceBatch's CPU).
    # graphql-core has coerced the value: required fields are there, the rest may be absent.
    return cls(
        value=value["value"],
        key=value.get("key"),
        headers=_headers(value.get("headers")),
        partition=value.get("partition"),
    )


MessageInput.__strawberry_definition__.from_input = _message_from_input  # type: ignore[attr-defined]


@strawberry.input(
    description="A condition on the JSON value at `path` (dotted, e.g. `customer.id`; list "
    "items by index, `items.0.sku`). All operators given must hold."
)
class ValuePredicate:
    path: str
    eq: JSON | None = strawberry.UNSET
    ne: JSON | None = strawberry.UNSET
    in_: list[JSON] | None = strawberry.field(name="in", default=None)
    gt: float | None = None
    gte: float | None = None
    lt: float | None = None
    lte: float | None = None
    contains: str | None = strawberry.field(
        default=None, description="Substring of a string, or an element of a list of strings."
    )
    exists: bool | None = None


@strawberry.input(
    description="Server-side filter: only matching messages reach the client. "
    "All conditions must hold."
)
class MessageFilter:
    key: str | None = None
    key_prefix: str | None = None
    headers: list[HeaderInput] | None = None
    value: list[ValuePredicate] | None = None
