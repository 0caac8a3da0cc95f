"""Where the keys that seal cursors come from (cursor.py): the environment variable that
`server.cursor_keys_env` names (`make run` fills one with the development key: dev/cursor_key.py),
or a key of the process's own.

The variable holds one or more keys separated by commas, each 32 random bytes in base64 (URL-safe
or standard, padding optional): `kafka-graphql cursor-key` prints a new one. The first key seals,
all open: to rotate, set `new,old` on every instance, then `new` once cursors sealed with `old`
no longer matter.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
from collections.abc import Mapping

from kafka_graphql.core.cursor import KEY_BYTES, CursorSealer
from kafka_graphql.settings import ServerSettings

log = logging.getLogger("kafka_graphql")


class CursorKeyError(ValueError):
    """The cursor keys cannot be used; the message names `server.cursor_keys_env`, never a key."""


def new_cursor_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode().rstrip("=")


def parse_cursor_keys(text: str, variable: str) -> tuple[bytes, ...]:
    keys: list[bytes] = []
    for i, entry in enumerate(text.split(",")):
        usual = entry.strip().replace("+", "-").replace("/", "_").rstrip("=")
        try:
            if not re.fullmatch(r"[A-Za-z0-9_-]+", usual):
                raise ValueError
            key = base64.urlsafe_b64decode(usual + "=" * (-len(usual) % 4))
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != KEY_BYTES:
            raise CursorKeyError(
                f"server.cursor_keys_env: key {i + 1} in {variable} is not {KEY_BYTES} bytes in "
                "base64 (make one with `kafka-graphql cursor-key`)"
            )
        if key in keys:
            raise CursorKeyError(f"server.cursor_keys_env: key {i + 1} in {variable} is repeated")
        keys.append(key)
    return tuple(keys)


def cursor_sealer(server: ServerSettings, environ: Mapping[str, str]) -> CursorSealer:
    """The sealer of a gateway process: from the keys `server.cursor_keys_env` names, or else a
    key of its own, made once before any worker starts so that all of them share it."""
    variable = server.cursor_keys_env
    if variable is None:
        log.warning(
            "server.cursor_keys_env is not set: cursors are sealed with a key made for this "
            "process, and will not open after a restart or on another instance "
            "(docs/operations.md#cursor-keys)"
        )
        return CursorSealer.ephemeral()
    text = environ.get(variable, "")
    if not text.strip():
        raise CursorKeyError(
            f"server.cursor_keys_env: the environment variable {variable} is not set (or empty)"
        )
    return CursorSealer(parse_cursor_keys(text, variable))
