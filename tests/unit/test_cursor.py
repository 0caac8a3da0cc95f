"""Sealed cursors without a server: what one holds, that nothing but an intact cursor of the same
topic and keys opens, key rotation, and where the keys come from."""

from __future__ import annotations

import base64
import logging
import os
import stat
import string
from pathlib import Path

import pytest

from kafka_graphql.core.cursor import INVALID, KEY_BYTES, MAX_CURSOR_CHARS, CursorSealer
from kafka_graphql.core.cursor_keys import (
    CursorKeyError,
    cursor_sealer,
    new_cursor_key,
    parse_cursor_keys,
)
from kafka_graphql.core.errors import BadUserInput
from kafka_graphql.dev.cursor_key import ensure_dev_cursor_key
from kafka_graphql.settings import ServerSettings

OLD, NEW = os.urandom(KEY_BYTES), os.urandom(KEY_BYTES)
SEALER = CursorSealer([OLD])
TOPIC = "payroll.salaries"
POSITIONS = {0: 5, 2: 2**62, 7: 0, 2**31 - 1: 2**63 - 1}


def raw(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def text(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def refused(cursor: str, topic: str = TOPIC, sealer: CursorSealer = SEALER) -> str:
    with pytest.raises(BadUserInput) as error:
        sealer.open(cursor, topic)
    assert error.value.code == "BAD_USER_INPUT"
    return error.value.message


def test_a_cursor_opens_to_its_positions() -> None:
    cursor = SEALER.seal(TOPIC, POSITIONS)
    assert SEALER.open(cursor, TOPIC) == POSITIONS
    assert SEALER.open(SEALER.seal(TOPIC, {}), TOPIC) == {}
    assert set(cursor) <= set(string.ascii_letters + string.digits + "-_")  # no padding


def test_a_cursor_reveals_neither_its_topic_nor_its_offsets() -> None:
    positions = {0: 1234567, 1: 89}
    data = raw(SEALER.seal(TOPIC, positions))
    assert TOPIC.encode() not in data and b"payroll" not in data
    for offset in positions.values():
        assert offset.to_bytes(8, "big") not in data
        assert str(offset).encode() not in data
    # Fixed widths: offsets of any size make cursors of one length.
    assert len(SEALER.seal(TOPIC, {0: 0, 1: 0})) == len(SEALER.seal(TOPIC, {0: 2**62, 1: 9}))
    # Other positions, another topic: nothing in common but the version and key id.
    other = raw(SEALER.seal(TOPIC, {0: 1234568, 1: 89}))
    assert data[:3] == other[:3] and data[3:] != other[3:]
    moved = raw(SEALER.seal("payroll.bonuses", positions))
    assert sum(a == b for a, b in zip(data[3:], moved[3:], strict=True)) < len(data) // 2


def test_each_flipped_bit_and_each_truncation_is_refused_with_the_same_message() -> None:
    data = raw(SEALER.seal(TOPIC, {0: 5, 1: 6}))
    for i in range(len(data)):
        for bit in (0x01, 0x80):
            tampered = bytearray(data)
            tampered[i] ^= bit
            assert refused(text(bytes(tampered))) == INVALID
    for length in range(len(data)):
        assert refused(text(data[:length])) == INVALID
    assert refused(text(data + b"\x00")) == INVALID


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "!!!",
        "a" * 40,
        "AAAA",
        "eyJ2IjoxLCJ0IjoicGF5cm9sbC5zYWxhcmllcyIsInAiOnsiMCI6NX19",  # the old, unsealed form
        "ASK3cYsBcXNbDbogylgeeEJWog==",  # padded
        " ASK3cYsBcXNbDbogylgeeEJWog",
        "ASK3cYsBcXNb/bogylgeeEJWog",  # standard base64
        "ASK3cYsBcXNbDbogylgeeEJWo\u00e9",
        "\u0661\u0662\u0663\u0664",
        "A" * (MAX_CURSOR_CHARS + 1),
    ],
)
def test_garbage_is_refused_with_the_same_message(cursor: str) -> None:
    assert refused(cursor) == INVALID


def test_a_cursor_cannot_be_moved_to_another_topic() -> None:
    cursor = SEALER.seal(TOPIC, {0: 5})
    for other in ("payroll.bonuses", "payroll.salaries.", "PAYROLL.SALARIES", "", "\ud800"):
        message = refused(cursor, other)
        assert message == INVALID and TOPIC not in message


def test_a_cursor_of_another_key_is_refused() -> None:
    foreign = CursorSealer([os.urandom(KEY_BYTES)]).seal(TOPIC, {0: 5})
    assert refused(foreign) == INVALID
    # Even under the key id of ours: the key itself decides.
    ours = raw(SEALER.seal(TOPIC, {0: 5}))
    assert refused(text(ours[:3] + raw(foreign)[3:])) == INVALID
    # A forgery: a cursor sealed by anyone without the key, of any version byte.
    for version in range(256):
        assert refused(text(bytes([version]) + ours[1:3] + os.urandom(28))) == INVALID


def test_rotation_the_first_key_seals_and_every_key_opens() -> None:
    old_cursor = CursorSealer([OLD]).seal(TOPIC, {0: 5})
    rotated = CursorSealer([NEW, OLD])
    assert rotated.open(old_cursor, TOPIC) == {0: 5}
    new_cursor = rotated.seal(TOPIC, {0: 6})
    assert CursorSealer([NEW]).open(new_cursor, TOPIC) == {0: 6}
    assert refused(new_cursor, sealer=CursorSealer([OLD])) == INVALID
    # Once the old key is dropped, its cursors no longer open.
    assert refused(old_cursor, sealer=CursorSealer([NEW])) == INVALID


def test_keys_from_the_environment_variable() -> None:
    first, second = new_cursor_key(), new_cursor_key()
    assert len(first) == 43 and "=" not in first
    standard = base64.b64encode(raw(second)).decode()  # as `openssl rand -base64 32` writes
    assert parse_cursor_keys(f" {first} ,\n{standard}", "V") == (raw(first), raw(second))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "key 1 in KEYS is not 32 bytes in base64"),
        ("k,", "key 1 in KEYS is not 32 bytes in base64"),
        (f"{text(bytes(32))},,", "key 2 in KEYS is not 32 bytes in base64"),
        (text(bytes(31)), "key 1 in KEYS is not 32 bytes"),
        (text(bytes(33)), "key 1 in KEYS is not 32 bytes"),
        (text(bytes(32)) + "!", "key 1 in KEYS is not 32 bytes"),
        (f"{text(bytes(32))},{text(bytes(32))}", "key 2 in KEYS is repeated"),
    ],
)
def test_bad_keys_are_refused_without_showing_them(value: str, message: str) -> None:
    with pytest.raises(CursorKeyError) as error:
        parse_cursor_keys(value, "KEYS")
    assert str(error.value).startswith("server.cursor_keys_env: ")
    assert message in str(error.value)
    assert text(bytes(32)) not in str(error.value)


def test_the_sealer_of_a_process(caplog: pytest.LogCaptureFixture) -> None:
    key = new_cursor_key()
    server = ServerSettings(cursor_keys_env="GATEWAY_CURSOR_KEYS")
    sealer = cursor_sealer(server, {"GATEWAY_CURSOR_KEYS": key})
    assert CursorSealer([raw(key)]).open(sealer.seal(TOPIC, {0: 1}), TOPIC) == {0: 1}
    for environ in ({}, {"GATEWAY_CURSOR_KEYS": " "}):
        with pytest.raises(CursorKeyError, match="GATEWAY_CURSOR_KEYS is not set"):
            cursor_sealer(server, environ)
    with caplog.at_level(logging.WARNING, "kafka_graphql"):
        one, two = cursor_sealer(ServerSettings(), {}), cursor_sealer(ServerSettings(), {})
    assert "will not open after a restart" in caplog.text
    assert refused(one.seal(TOPIC, {0: 1}), sealer=two) == INVALID


def test_the_development_key_is_made_once_and_kept_private(tmp_path: Path) -> None:
    file = tmp_path / ".dev" / "cursor.key"
    key = ensure_dev_cursor_key(file)
    assert parse_cursor_keys(key, "V") and ensure_dev_cursor_key(file) == key
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
