"""How Kafka's bytes become GraphQL values and back.

Values are JSON. Whatever bytes a record holds, reading it never fails (docs/api.md#values-keys-
and-headers): bytes that are not JSON arrive as their UTF-8 text, or, failing that, as base64 in an
object that says so. JSON that no response could carry (an integer beyond Python's digit limit, a
number beyond a double, nesting deeper than MAX_VALUE_DEPTH) arrives as no value and the reason.
Keys and header values are text when they are UTF-8, else their bytes, which the API shows in
base64 with an encoding flag: never text that a filter could mistake for the key.
"""

from __future__ import annotations

import base64
import json
import math
import sys
from typing import Any

import orjson

BINARY_ENCODING_KEY = "$binary"
# Deeper JSON is not read. orjson, which writes responses, writes at most this many levels, and
# Python's json (its fallback, and the reader of what orjson does not read) recurses once per
# level: a value that deep must be written from a request's stack with room to spare.
MAX_VALUE_DEPTH = 254


class UnreadableJSON(ValueError):
    """JSON that no response could carry; the message says why, for `valueError`."""


class _NotJSON(ValueError):
    """Python's json accepts NaN and Infinity; JSON does not."""


def _finite(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        shown = text if len(text) <= 24 else f"{text[:20]}..."
        raise UnreadableJSON(f"the number {shown} is beyond the range of a double")
    return number


def _constant(name: str) -> float:
    raise _NotJSON(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_float=_finite, parse_constant=_constant)
# orjson reads an integer beyond 64 bits as a float, losing digits: a value with a run of 19
# digits (in a number or not) is read by Python's json, which keeps them.
_DIGITS = bytes(ord("0") if b in b"0123456789" else ord(" ") for b in range(256))
_LONG_RUN = b"0" * 19


def loads_value(raw: bytes) -> Any:
    """`raw` as JSON. Raises UnreadableJSON for JSON no response could carry, and another
    ValueError (json.JSONDecodeError, UnicodeDecodeError, ...) for bytes that are not JSON.

    orjson reads most values (~4x faster). What it refuses is read again by Python's json,
    whose answer is the reference: text that is not JSON, JSON beyond orjson (lone surrogates
    in strings, a byte order mark, UTF-16), and JSON no response could carry."""
    value: Any
    fast = _LONG_RUN not in raw.translate(_DIGITS)
    try:
        value = orjson.loads(raw) if fast else _python_loads(raw)
    except orjson.JSONDecodeError:
        fast = False
        value = _python_loads(raw)
    # Every level opens with `[` or `{`: with fewer of them than the limit, none is too deep.
    if raw.count(b"[") + raw.count(b"{") > MAX_VALUE_DEPTH and _too_deep(value, fast):
        raise UnreadableJSON(_TOO_DEEP)
    return value


def _python_loads(raw: bytes) -> Any:
    try:
        # What json.loads does with bytes (UTF-8, or UTF-16/32 by their byte pattern), with
        # one decoder made once rather than per call.
        return _DECODER.decode(raw.decode(json.detect_encoding(raw), "surrogatepass"))
    except (UnreadableJSON, _NotJSON, json.JSONDecodeError, UnicodeDecodeError):
        raise
    except RecursionError:
        raise UnreadableJSON(_TOO_DEEP) from None
    except ValueError:
        # Python refuses to read an integer of more digits (sys.get_int_max_str_digits).
        raise UnreadableJSON(
            f"an integer has more than {sys.get_int_max_str_digits()} digits"
        ) from None


_TOO_DEEP = f"arrays and objects are nested more than {MAX_VALUE_DEPTH} levels deep"


def _too_deep(value: Any, fast: bool) -> bool:
    """Whether `value` nests more than MAX_VALUE_DEPTH levels. orjson writes a value it read
    unless it is that deep (~6x faster than walking it); Python's json may have read what orjson
    does not write for other reasons (integers beyond 64 bits, lone surrogates)."""
    if fast:
        try:
            orjson.dumps(value)
        except orjson.JSONEncodeError:
            return True
        return False
    return _deeper_than(value, MAX_VALUE_DEPTH)


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether `value` nests arrays and objects more than `limit` levels (iteratively: the
    value may be deeper than the call stack allows)."""
    if not isinstance(value, dict | list):
        return False
    pending = [(value, 1)]
    while pending:
        node, depth = pending.pop()
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return True
                pending.append((child, depth + 1))
    return False


def decode_value(raw: bytes | None) -> tuple[Any, str | None]:
    """A record value as the API delivers it, and why it is null when it is not the bytes'
    reading (None otherwise). Never raises."""
    if raw is None:
        return None, None
    try:
        return loads_value(raw), None
    except UnreadableJSON as error:
        return None, f"the value is JSON that cannot be delivered: {error}"
    except ValueError:  # not JSON (UnicodeDecodeError and JSONDecodeError are ValueErrors)
        pass
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError:
        return {
            BINARY_ENCODING_KEY: {"encoding": "base64", "data": base64.b64encode(raw).decode()}
        }, None


def encode_value(value: Any) -> bytes:
    """Raises ValueError for NaN and infinities: Python would write them as `NaN`/`Infinity`,
    which is not JSON and breaks every strict consumer of the topic."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode(
        "utf-8"
    )


def decode_text(raw: bytes) -> tuple[str | None, bytes | None]:
    """Keys, header names and header values: (their text, None) when they are UTF-8, else
    (None, their bytes)."""
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError:
        return None, raw


def base64_text(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
