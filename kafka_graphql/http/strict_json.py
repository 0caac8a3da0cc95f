"""JSON as RFC 8259 has it, read strictly and written fast: for requests, WebSocket messages and
responses of every face.

Python's json module accepts `NaN`, `Infinity` and duplicate keys, which are not JSON, and bytes
that are not UTF-8 fail in ways a caller should not see. Reading refuses all of them with a
reason that never echoes the input.
"""

from __future__ import annotations

import json
import math
from typing import Any, NoReturn

import orjson


class NotJSON(json.JSONDecodeError):
    """Text that is not JSON, including what Python's json module accepts but JSON does not.

    A JSONDecodeError, so that Strawberry's WebSocket adapter (`iter_json`) treats it as
    non-JSON, as it does for its own parse errors."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, "", 0)


def _refuse_constant(name: str) -> NoReturn:
    raise NotJSON(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        # Python reads 1e999 as inf, which it would write back as `Infinity`, not JSON.
        raise NotJSON("a number is out of the range of a double")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        # Parsers disagree on which duplicate wins: a proxy could check one `query` and the
        # gateway run another.
        raise NotJSON("an object has the same key twice")
    return obj


_DECODER = json.JSONDecoder(
    parse_float=_finite_float, parse_constant=_refuse_constant, object_pairs_hook=_unique_keys
)


def loads_strict(data: str | bytes) -> object:
    """RFC 8259 JSON in UTF-8, or NotJSON saying what is wrong (never echoing the input)."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise NotJSON("the text is not valid UTF-8") from None
    try:
        return _DECODER.decode(text)
    except NotJSON:
        raise
    except json.JSONDecodeError as error:
        raise NotJSON(f"{error.msg} at line {error.lineno} column {error.colno}") from None
    except RecursionError:
        raise NotJSON("the JSON is nested too deeply") from None
    except ValueError:
        # Python refuses integers of more than 4,300 digits (sys.get_int_max_str_digits).
        raise NotJSON("a number has too many digits") from None


def dumps(data: object) -> str:
    """A response or WebSocket message as JSON text (text: Strawberry sends a WebSocket message
    encoded as bytes in a binary frame, which the subprotocols do not allow). orjson is ~10x
    faster than json.dumps; what it refuses (integers beyond 64 bits, which a JSON value read
    from a topic may hold) is written by json.dumps. Reading stays with `loads_strict`: orjson
    would keep the last of duplicate keys rather than refuse them."""
    try:
        return orjson.dumps(data).decode()
    except TypeError:
        return json.dumps(data, separators=(",", ":"))
