"""Cursors: opaque strings holding, for each partition of one topic, the next offset to read.

A cursor is self-contained (no server-side session), so a client can resume on any gateway
instance, also after a restart. It is not secret: it only names positions in a topic the client
can already read; the topic inside is checked against the topic asked for.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass

from kafka_graphql.errors import BadUserInput

_VERSION = 1
_MAX_CURSOR_CHARS = 16_384
_MAX_OFFSET = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Cursor:
    topic: str
    positions: Mapping[int, int]

    def encode(self) -> str:
        body = {"v": _VERSION, "t": self.topic, "p": {str(p): o for p, o in self.positions.items()}}
        raw = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def encode_cursor(topic: str, positions: Mapping[int, int]) -> str:
    return Cursor(topic, positions).encode()


def decode_cursor(text: str, topic: str) -> Cursor:
    """Parse a client's cursor for `topic`; every defect is a BAD_USER_INPUT, never a crash."""
    if len(text) > _MAX_CURSOR_CHARS:
        raise BadUserInput("cursor is too long")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        body = json.loads(raw)
    except (binascii.Error, ValueError):
        raise BadUserInput("cursor is not valid: pass back a cursor the API returned") from None
    if not isinstance(body, dict) or body.get("v") != _VERSION:
        raise BadUserInput("cursor is not valid: pass back a cursor the API returned")
    if body.get("t") != topic:
        raise BadUserInput(f"cursor belongs to another topic, not {topic!r}")
    positions_raw = body.get("p")
    if not isinstance(positions_raw, dict):
        raise BadUserInput("cursor is not valid: pass back a cursor the API returned")
    positions: dict[int, int] = {}
    for partition, offset in positions_raw.items():
        if not (isinstance(partition, str) and partition.isdigit()):
            raise BadUserInput("cursor is not valid: bad partition")
        if (
            isinstance(offset, bool)
            or not isinstance(offset, int)
            or not 0 <= offset <= _MAX_OFFSET
        ):
            raise BadUserInput("cursor is not valid: bad offset")
        positions[int(partition)] = offset
    return Cursor(topic, positions)
