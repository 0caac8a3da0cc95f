"""Custom scalars. Offsets are 64-bit, so they never use GraphQL's 32-bit Int.

Each scalar is strict about what it accepts, as a variable (`parse_value`) and as a literal in
the document (`parse_literal`), and refuses anything else with BAD_USER_INPUT, without quoting
more than a few characters of it: a value that Python cannot convert (a digit that is not ASCII,
an integer of thousands of digits, a date an offset carries past year 9999) is a client's
mistake, never a server error. docs/api.md#scalars lists the forms each accepts.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any, NewType

import strawberry
from graphql import (
    BooleanValueNode,
    EnumValueNode,
    FloatValueNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    ObjectValueNode,
    StringValueNode,
    ValueNode,
    VariableNode,
)
from strawberry.scalars import JSON
from strawberry.types.scalar import ScalarDefinition

from kafka_graphql.core.errors import BadUserInput
from kafka_graphql.graphql.limits.structure import MAX_INT_DIGITS
from kafka_graphql.graphql.schema.instants import OutOfRangeInstant, expanded_iso

__all__ = ["JSON", "SCALAR_MAP", "Cursor", "DateTime", "Long"]

Long = NewType("Long", int)
DateTime = NewType("DateTime", datetime)
Cursor = NewType("Cursor", str)

LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1
# An optional minus and ASCII digits (`re`'s \d would take any Unicode digit), at most 19 of
# them: 2^63 has 19 digits, and Python converts nothing longer than 4,300.
_LONG_TEXT = re.compile(r"-?[0-9]{1,19}")
# ISO 8601 text is ASCII and short: the longest form, with microseconds and an offset, has 32.
MAX_DATETIME_CHARS = 64
# A cursor is URL-safe base64 (and its padding): a few dozen characters per partition.
MAX_CURSOR_CHARS = 65_536
_CURSOR_TEXT = re.compile(r"[A-Za-z0-9_=.-]+")
# JSON values given in a request: nesting deeper than this is refused (the encoder, comparisons
# and the responses that echo a value all recurse over it).
MAX_JSON_DEPTH = 100


def _shown(value: object) -> str:
    """A few characters of what the client sent, to say what was refused without echoing it."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _parse_long(value: Any) -> int:
    number: int
    if isinstance(value, str):
        if _LONG_TEXT.fullmatch(value) is None:
            raise BadUserInput(
                f"Long must be an integer: an optional '-' and ASCII digits, not {_shown(value)}"
            )
        number = int(value)
    elif isinstance(value, float):
        if not value.is_integer():  # a fraction, an infinity or NaN
            raise BadUserInput(f"Long must be an integer, not {_shown(value)}")
        number = int(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        raise BadUserInput(f"Long must be an integer, not {_shown(value)}")
    if not LONG_MIN <= number <= LONG_MAX:
        raise BadUserInput("Long is out of the 64-bit range")
    return number


def _long_literal(node: ValueNode, _variables: Any = None) -> int:
    # An IntValue's text is an optional minus and ASCII digits, as a string's must be.
    if isinstance(node, IntValueNode | StringValueNode):
        return _parse_long(node.value)
    raise BadUserInput("Long must be an integer or a string of one")


_LONG = strawberry.scalar(
    name="Long",
    description="A 64-bit signed integer (Kafka offsets). Serialized as a JSON number; "
    "accepted as a number or a decimal string.",
    serialize=int,
    parse_value=_parse_long,
    parse_literal=_long_literal,
)


def _serialize_datetime(value: datetime) -> str:
    if isinstance(value, OutOfRangeInstant):
        return expanded_iso(value.ms)
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse_datetime(value: Any) -> datetime:
    if not isinstance(value, str):
        raise BadUserInput("DateTime must be an ISO-8601 string")
    if len(value) > MAX_DATETIME_CHARS or not value.isascii():
        raise BadUserInput(f"DateTime {_shown(value)} is not ISO-8601")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadUserInput(f"DateTime {_shown(value)} is not ISO-8601") from None
    # A time without an offset is taken as UTC, as documented.
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        # An offset can carry a time at the edge of year 1 or 9999 out of what UTC can hold.
        parsed.astimezone(UTC)
    except OverflowError:
        raise BadUserInput(f"DateTime {_shown(value)} is out of range in UTC") from None
    return parsed


def _datetime_literal(node: ValueNode, _variables: Any = None) -> datetime:
    if isinstance(node, StringValueNode):
        return _parse_datetime(node.value)
    raise BadUserInput("DateTime must be an ISO-8601 string")


_DATETIME = strawberry.scalar(
    name="DateTime",
    description="An ISO-8601 instant, e.g. 2026-11-25T12:00:00.000Z (UTC when no offset is given).",
    serialize=_serialize_datetime,
    parse_value=_parse_datetime,
    parse_literal=_datetime_literal,
)


def _parse_cursor(value: Any) -> str:
    if (
        not isinstance(value, str)
        or len(value) > MAX_CURSOR_CHARS
        or _CURSOR_TEXT.fullmatch(value) is None
    ):
        raise BadUserInput("Cursor must be a cursor returned by the API")
    return value


def _cursor_literal(node: ValueNode, _variables: Any = None) -> str:
    if isinstance(node, StringValueNode):
        return _parse_cursor(node.value)
    raise BadUserInput("Cursor must be a cursor returned by the API")


def _parse_json(value: Any) -> Any:
    """A JSON value from the request's variables (read by a strict JSON parser: no NaN, no
    integer Python cannot convert): only its depth is left to check."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise BadUserInput(f"a JSON value may nest at most {MAX_JSON_DEPTH} deep")
            members = item.values() if isinstance(item, dict) else item
            stack.extend((member, depth + 1) for member in members)
        elif isinstance(item, float) and not math.isfinite(item):
            raise BadUserInput("a JSON number must be finite")
    return value


def _json_literal(node: ValueNode, variables: Any = None) -> Any:
    """A JSON value written in the document, as graphql-core's value_from_ast_untyped reads it,
    but refusing what JSON cannot hold (1e999) and what Python cannot convert."""
    return _json_value(node, variables or {}, 1)


def _json_value(node: ValueNode, variables: dict[str, Any], depth: int) -> Any:
    if isinstance(node, NullValueNode):
        return None
    if isinstance(node, StringValueNode | BooleanValueNode | EnumValueNode):
        return node.value
    if isinstance(node, IntValueNode):
        if len(node.value.lstrip("-")) > MAX_INT_DIGITS:
            raise BadUserInput(f"a JSON integer may have at most {MAX_INT_DIGITS} digits")
        return int(node.value)
    if isinstance(node, FloatValueNode):
        number = float(node.value)
        if not math.isfinite(number):
            raise BadUserInput("a JSON number must be finite (it has no JSON form otherwise)")
        return number
    if isinstance(node, VariableNode):
        return _parse_json(variables.get(node.name.value))
    if depth > MAX_JSON_DEPTH:
        raise BadUserInput(f"a JSON value may nest at most {MAX_JSON_DEPTH} deep")
    if isinstance(node, ListValueNode):
        return [_json_value(item, variables, depth + 1) for item in node.values]
    if isinstance(node, ObjectValueNode):
        return {f.name.value: _json_value(f.value, variables, depth + 1) for f in node.fields}
    raise BadUserInput("not a JSON value")


SCALAR_MAP: dict[object, ScalarDefinition] = {
    Long: _LONG,
    DateTime: _DATETIME,
    Cursor: strawberry.scalar(
        name="Cursor",
        description="An opaque position in a topic (per partition). Pass it back as `after`.",
        serialize=str,
        parse_value=_parse_cursor,
        parse_literal=_cursor_literal,
    ),
    # Strawberry's JSON (the same name, description and specifiedBy), strict.
    JSON: strawberry.scalar(
        name="JSON",
        description=(
            "The `JSON` scalar type represents JSON values as specified by "
            "[ECMA-404]"
            "(https://ecma-international.org/wp-content/uploads/ECMA-404_2nd_edition_december_2017.pdf)."
        ),
        specified_by_url=(
            "https://ecma-international.org/wp-content/uploads/ECMA-404_2nd_edition_december_2017.pdf"
        ),
        serialize=lambda v: v,
        parse_value=_parse_json,
        parse_literal=_json_literal,
    ),
}
