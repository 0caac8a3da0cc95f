"""Custom scalars. Offsets are 64-bit, so they never use GraphQL's 32-bit Int."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, NewType

import strawberry
from strawberry.scalars import JSON
from strawberry.types.scalar import ScalarDefinition

from kafka_graphql.errors import BadUserInput

__all__ = ["JSON", "SCALAR_MAP", "Cursor", "DateTime", "Long"]

Long = NewType("Long", int)
DateTime = NewType("DateTime", datetime)
Cursor = NewType("Cursor", str)

_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1


def _parse_long(value: Any) -> int:
    if isinstance(value, bool):
        raise BadUserInput("Long must be an integer")
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise BadUserInput(f"Long must be an integer, got {value!r}")
    if not _LONG_MIN <= value <= _LONG_MAX:
        raise BadUserInput("Long is out of the 64-bit range")
    return value


_LONG = strawberry.scalar(
    name="Long",
    description="A 64-bit signed integer (Kafka offsets). Serialized as a JSON number; "
    "accepted as a number or a decimal string.",
    serialize=int,
    parse_value=_parse_long,
)


def _serialize_datetime(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse_datetime(value: Any) -> datetime:
    if not isinstance(value, str):
        raise BadUserInput("DateTime must be an ISO-8601 string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadUserInput(f"DateTime {value!r} is not ISO-8601") from None
    # A time without an offset is taken as UTC, as documented.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_DATETIME = strawberry.scalar(
    name="DateTime",
    description="An ISO-8601 instant, e.g. 2026-11-25T12:00:00.000Z (UTC when no offset is given).",
    serialize=_serialize_datetime,
    parse_value=_parse_datetime,
)


def _parse_cursor(value: Any) -> str:
    if not isinstance(value, str):
        raise BadUserInput("Cursor must be a string returned by the API")
    return value


SCALAR_MAP: dict[object, ScalarDefinition] = {
    Long: _LONG,
    DateTime: _DATETIME,
    Cursor: strawberry.scalar(
        name="Cursor",
        description="An opaque position in a topic (per partition). Pass it back as `after`.",
        serialize=str,
        parse_value=_parse_cursor,
    ),
}
