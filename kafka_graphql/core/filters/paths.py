"""Paths into a JSON value (`filter.value[].path`: "customer.id", "items.0.sku"), parsed once when
a filter is admitted, so that looking one up in a record can never fail.

A segment is a field name, or a list index written in ASCII digits (at most MAX_INDEX_DIGITS of
them). A segment that reads as a number any other way is refused: other Unicode digits
(superscripts, Arabic-Indic, fullwidth, Devanagari), a sign ("-1", "+2"), fractions ("½").
`str.isdigit()` accepts "²" where `int()` does not: such a segment once raised inside the shared
live feed, and every subscriber of the topic lost the batch. An index also names an object's
field of the same text (`{"0": ...}`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kafka_graphql.core.errors import BadUserInput

MAX_PATH_SEGMENTS = 32
# 999,999,999: more items than any record's list can hold (a broker's largest message is far
# smaller), and few enough digits that parsing one costs nothing.
MAX_INDEX_DIGITS = 9
_ASCII_DIGITS = frozenset("0123456789")

# Marks "no value at this path" (and "no such operator" in filters): JSON null is a real value.
ABSENT: Any = object()

# (field name, list index or None): "0" is both the field "0" and the index 0.
Segment = tuple[str, int | None]


def parse_path(path: str, at: Sequence[str | int] = ()) -> tuple[Segment, ...]:
    """The segments of a dotted path. Raises BadUserInput with `extensions.path` = `at` (where
    the path sits in the operation's arguments) for a path that is not one."""
    segments = path.split(".")
    if not path or any(not s for s in segments):
        raise _bad(f"value path {_quoted(path)} is not a dotted path such as 'customer.id'", at)
    if len(segments) > MAX_PATH_SEGMENTS:
        raise _bad(f"a value path may have at most {MAX_PATH_SEGMENTS} segments", at)
    return tuple(_segment(s, at) for s in segments)


def lookup(value: Any, segments: tuple[Segment, ...]) -> Any:
    """The value at the path, or ABSENT. Never raises: the segments were checked when parsed."""
    for name, index in segments:
        if isinstance(value, dict):
            if name not in value:
                return ABSENT
            value = value[name]
        elif index is not None and isinstance(value, list):
            if index >= len(value):
                return ABSENT
            value = value[index]
        else:
            return ABSENT
    return value


def _segment(segment: str, at: Sequence[str | int]) -> Segment:
    if _ASCII_DIGITS.issuperset(segment):
        if len(segment) > MAX_INDEX_DIGITS:
            raise _bad(
                f"a list index in a value path has at most {MAX_INDEX_DIGITS} digits, "
                f"not {_quoted(segment)}",
                at,
            )
        return segment, int(segment)
    unsigned = segment.lstrip("+-")
    if unsigned and unsigned.isnumeric():
        # Only here is the segment more than a name: refused rather than guessed at.
        raise _bad(
            f"value path segment {_quoted(segment)} is neither a field name nor a list index "
            "(ASCII digits 0-9, no sign)",
            at,
        )
    return segment, None


def _quoted(text: str) -> str:
    # The message quotes the caller's input: a few dozen characters are enough to find it.
    return repr(text if len(text) <= 40 else text[:40] + "...")


def _bad(message: str, at: Sequence[str | int]) -> BadUserInput:
    return BadUserInput(message, path=list(at)) if at else BadUserInput(message)
