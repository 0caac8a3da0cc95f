"""Kafka timestamps as DateTime: exact to the millisecond, and any int64 serializes (records of
another producer may carry year 10000), in the form JavaScript's Date writes."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kafka_graphql.graphql.schema.instants import OutOfRangeInstant, expanded_iso, instant
from kafka_graphql.graphql.schema.scalars import SCALAR_MAP, DateTime

INT64 = st.integers(-(2**63), 2**63 - 1)
# What Python's datetime holds: years 1 to 9999.
IN_RANGE = st.integers(-62_135_596_800_000, 253_402_300_799_999)
# What JavaScript's Date holds: 100,000,000 days either side of the epoch.
JS_RANGE = st.integers(-8_640_000_000_000_000, 8_640_000_000_000_000)


def serialize(value: datetime) -> str:
    definition = SCALAR_MAP[DateTime]
    assert definition.serialize is not None
    text: str = definition.serialize(value)
    return text


@given(IN_RANGE)
def test_within_pythons_years_an_instant_is_the_exact_datetime(ms: int) -> None:
    value = instant(ms)
    assert not isinstance(value, OutOfRangeInstant)
    assert value == datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    # JavaScript's form, within these years, is the plain one.
    assert expanded_iso(ms) == serialize(value)


@given(INT64)
def test_every_int64_serializes(ms: int) -> None:
    text = serialize(instant(ms))
    assert text.endswith("Z")
    if not -62_135_596_800_000 <= ms <= 253_402_300_799_999:
        assert text == expanded_iso(ms)


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (253_402_300_800_000, "+010000-01-01T00:00:00.000Z"),
        (-62_135_596_800_001, "0000-12-31T23:59:59.999Z"),
        (-62_167_219_200_001, "-000001-12-31T23:59:59.999Z"),
        (2**63 - 1, "+292278994-08-17T07:12:55.807Z"),
        (-(2**63), "-292275055-05-16T16:47:04.192Z"),
        # Inside the range, the plain form (what clients have always read).
        (-1, "1969-12-31T23:59:59.999Z"),
        (49_558_035_417_103, "3540-06-07T08:56:57.103Z"),
    ],
)
def test_known_instants(ms: int, text: str) -> None:
    assert serialize(instant(ms)) == text


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js (make test requires it)")
def test_out_of_range_instants_read_back_in_javascript() -> None:
    """JavaScript's Date, which browsers and Apollo clients parse DateTime with, writes the same
    text, and parses ours back to the same millisecond."""
    samples = [
        253_402_300_800_000,
        -62_135_596_800_001,
        8_640_000_000_000_000,
        -8_640_000_000_000_000,
        -62_198_755_200_001,
        123_456_789_012_345,
    ]
    script = (
        "const ms = JSON.parse(process.argv[1]);"
        "console.log(JSON.stringify(ms.map(m => {"
        "  const d = new Date(m); return [d.toISOString(), Date.parse(d.toISOString())]; })));"
    )
    out = subprocess.run(  # noqa: S603 (a fixed script and numbers of our own)
        ["node", "-e", script, json.dumps(samples)],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for ms, (written, parsed) in zip(samples, json.loads(out), strict=True):
        assert serialize(instant(ms)) == written
        assert parsed == ms
