"""Cursors: sealed strings holding, for each partition of one topic, the next offset to read.

A cursor is self-contained (no server-side session), so a client can resume on any gateway
instance that holds the same keys, also after a restart. It is sealed with authenticated
encryption: a client can neither read it (the offsets may be guarded: `Topic.partitions`) nor
forge one, nor move one to another topic (the topic is its associated data, not its contents).

Layout, in URL-safe base64 without padding: a version byte, the 2-byte id of the key that sealed
it, then AES-SIV (RFC 5297) over the positions (for each partition, in order, its number as 4
bytes and its next offset as 8, big-endian; fixed widths, so that the length tells nothing about
the offsets). AES-SIV is deterministic: no nonce to draw, so there is no limit on how many
cursors one key may seal (AES-GCM with random 96-bit nonces must stop at 2^32, which a busy
gateway sealing a cursor per delivered message would reach), and the output is the shortest of
the AEADs (16 bytes beyond the positions). Being deterministic, it shows only that two cursors of
one topic hold the same positions, which the client holding both knows anyway.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import struct
from collections.abc import Mapping, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kafka_graphql.core.errors import BadUserInput

KEY_BYTES = 32
VERSION = 1
# Long enough for a topic of about 1,000 partitions (16 characters each, plus 26).
MAX_CURSOR_CHARS = 16_384
# What every defect of a cursor answers: the same words for a tampered, truncated, foreign-key,
# other-topic or garbage cursor, so that an answer tells nothing about what was wrong.
INVALID = "cursor is not valid: pass back a cursor this API returned for this topic"

_ENTRY = struct.Struct(">IQ")
_HEADER = struct.Struct(">BH")
_TAG_BYTES = 16
_MAX_PARTITION = 2**31 - 1
_MAX_OFFSET = 2**63 - 1
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


class _Key:
    """One configured key: the AES-SIV key derived from it, and its id."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) != KEY_BYTES:
            raise ValueError(f"a cursor key has {KEY_BYTES} bytes")
        # Derived, not used as is: a key configured for cursors serves nothing else, and
        # AES-SIV wants two AES keys (64 bytes for AES-256).
        self.aead = AESSIV(_derive(secret, b"kafka-graphql cursor seal v1", 64))
        self.id = int.from_bytes(_derive(secret, b"kafka-graphql cursor key id", 2), "big")


def _derive(secret: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(secret)


class CursorSealer:
    """Seals and opens cursors with a key ring: the first key seals, every key opens (so that
    keys can be rotated: add the new one first, drop the old one once its cursors are stale)."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise ValueError("a cursor sealer needs at least one key")
        self._keys = [_Key(k) for k in keys]

    @classmethod
    def ephemeral(cls) -> CursorSealer:
        """A sealer with a random key of its own: its cursors open only where it is."""
        return cls([os.urandom(KEY_BYTES)])

    def seal(self, topic: str, positions: Mapping[int, int]) -> str:
        key = self._keys[0]
        header = _HEADER.pack(VERSION, key.id)
        plain = b"".join(_ENTRY.pack(p, positions[p]) for p in sorted(positions))
        sealed = key.aead.encrypt(plain, [header, _topic_bytes(topic)])
        return base64.urlsafe_b64encode(header + sealed).decode().rstrip("=")

    def open(self, text: str, topic: str) -> dict[int, int]:
        """The positions a client's cursor for `topic` holds; every defect is the same
        BAD_USER_INPUT, never a crash."""
        if len(text) > MAX_CURSOR_CHARS or _BASE64URL.fullmatch(text) is None:
            raise BadUserInput(INVALID)
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            raise BadUserInput(INVALID) from None
        if len(raw) < _HEADER.size + _TAG_BYTES:
            raise BadUserInput(INVALID)
        version, key_id = _HEADER.unpack_from(raw)
        if version != VERSION:
            raise BadUserInput(INVALID)
        header, sealed = raw[: _HEADER.size], raw[_HEADER.size :]
        for key in self._keys:
            # Ids are short: two keys may share one, so each key with the id is tried.
            if key.id != key_id:
                continue
            try:
                plain = key.aead.decrypt(sealed, [header, _topic_bytes(topic)])
            except InvalidTag:
                continue
            return _positions(plain)
        raise BadUserInput(INVALID)


def _topic_bytes(topic: str) -> bytes:
    # A topic name from a request may hold anything a GraphQL string can: never fail on it.
    return topic.encode("utf-8", "surrogatepass")


def _positions(plain: bytes) -> dict[int, int]:
    # Only this gateway's keys seal, so these hold unless a key was shared with other software.
    if len(plain) % _ENTRY.size:
        raise BadUserInput(INVALID)
    positions: dict[int, int] = {}
    previous = -1
    for partition, offset in _ENTRY.iter_unpack(plain):
        if not previous < partition <= _MAX_PARTITION or offset > _MAX_OFFSET:
            raise BadUserInput(INVALID)
        positions[partition] = offset
        previous = partition
    return positions
