"""How Kafka's bytes become GraphQL values and back.

Values are JSON. A record whose bytes are not JSON is still delivered, never an error that kills a
stream: as its UTF-8 text, or, failing that, as base64 in an object that says so.
"""

from __future__ import annotations

import base64
import json
from typing import Any

BINARY_ENCODING_KEY = "$binary"


def decode_value(raw: bytes | None) -> Any:
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        pass
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return {BINARY_ENCODING_KEY: {"encoding": "base64", "data": base64.b64encode(raw).decode()}}


def encode_value(value: Any) -> bytes:
    """Raises ValueError for NaN and infinities: Python would write them as `NaN`/`Infinity`,
    which is not JSON and breaks every strict consumer of the topic."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode(
        "utf-8"
    )


def decode_text(raw: bytes | None) -> str | None:
    """Keys and header values: text when they are UTF-8, base64 otherwise (marked by a prefix)."""
    if raw is None:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return "base64:" + base64.b64encode(raw).decode()
