"""The bound on a stream message's size (`limits.max_frame_bytes`): checked before it is
encoded, only for records that some selection could make too large, and never below what the
encoder writes."""

from __future__ import annotations

import json
import time

import pytest

from kafka_graphql.core.errors import LimitExceeded
from kafka_graphql.core.values import decode_value
from kafka_graphql.graphql.frame_size import (
    _Bound,
    _is_container,
    check_frame,
    json_bound,
    may_exceed,
)
from kafka_graphql.http.strict_json import dumps
from kafka_graphql.kafka.records import Record
from kafka_graphql.settings.limits import LimitsSettings

LIMITS = LimitsSettings(max_frame_bytes=1_000_000)


def record(raw: bytes) -> Record:
    return Record("t", 0, 0, 0, "k", decode_value(raw)[0], (), raw)


def test_small_records_are_not_looked_at() -> None:
    small = record(b'{"n":1}')
    assert not may_exceed(LIMITS, small, partitions=3)
    check_frame(LIMITS, small, 3, {"messages": {f"a{i}": small.value for i in range(30)}})


@pytest.mark.parametrize("copies", [1, 5, 20])
def test_a_result_is_refused_when_it_could_encode_larger_than_the_bound(copies: int) -> None:
    big = record(json.dumps({"text": "x" * 100_000}).encode())
    data = {"messages": {f"a{i}": big.value for i in range(copies)}}
    if len(dumps(data)) > LIMITS.max_frame_bytes:
        with pytest.raises(LimitExceeded, match=r"limits\.max_frame_bytes"):
            check_frame(LIMITS, big, 1, data)
    else:
        check_frame(LIMITS, big, 1, data)  # a plain value, a few copies: let through


def test_escapes_count_six_times() -> None:
    control = record(b"\x01" * 200_000)  # text, written as \u0001 each
    assert isinstance(control.value, str)
    data = {"messages": {"a": control.value, "b": control.value}}
    assert len(json.dumps(data)) > 2_000_000
    with pytest.raises(LimitExceeded):
        check_frame(LIMITS, control, 1, data)


def test_a_value_repeated_in_nested_results_is_walked_once() -> None:
    nested: list[list[int]] = [[] for _ in range(50_000)]
    big = record(json.dumps(nested).encode())
    shared: list[list[int]] = [
        [] for _ in range(50_000)
    ]  # a typed value's JSON field, another object
    data = {"messages": {"value": {f"a{i}": {"json": shared} for i in range(30)}}}
    started = time.perf_counter()
    with pytest.raises(LimitExceeded):
        check_frame(LimitsSettings(max_frame_bytes=4_000_000), big, 1, data)
    assert time.perf_counter() - started < 1.0


VALUES = {
    "exponents": b"[" + b",".join([b"1e15", b"9E9", b"1.5e-7"] * 1000) + b"]",
    "long floats": b"[" + b",".join([b"12345678901234567.0"] * 1000) + b"]",
    "escapes": json.dumps({"t": '\u00e9\U0001f600 \\ " \n\t\u0001' * 500}).encode(),
    "utf-8": json.dumps({"t": "\u00e9\u4e2d\U0001f600" * 500}, ensure_ascii=False).encode(),
    "big integers": b"[" + b",".join([b"1" * 40] * 500) + b"]",  # the fallback encoder
    "nested": json.dumps([{"a": [1, 2.5, None, True, "x"]}] * 500).encode(),
    "text with controls": b"line\n\x01\x02" * 2000,
    "wide text": ("\U0001f600" * 3000).encode(),
    "not utf-8": b"\xff\xfe" * 3000,
}


@pytest.mark.parametrize("shape", VALUES)
def test_the_bound_is_never_below_what_is_written(shape: str) -> None:
    raw = VALUES[shape]
    held = record(raw)
    data = {"messages": {"a": held.value, "b": held.value, "key": held.key, "offset": 1}}
    known = json_bound(raw) if _is_container(raw) else None
    assert _Bound(1 << 40, held.value, known).of(data) >= len(dumps(data).encode())


def test_one_copy_of_a_record_always_goes_through_however_large() -> None:
    huge = record(json.dumps({"text": "x" * 1_500_000}).encode())  # beyond the 1 MB bound
    check_frame(LIMITS, huge, 1, {"messages": {"value": huge.value, "offset": 1}})
    with pytest.raises(LimitExceeded):
        check_frame(LIMITS, huge, 1, {"messages": {"a": huge.value, "b": huge.value}})
    text = record(b"y" * 1_500_000)  # a text value
    check_frame(LIMITS, text, 1, {"messages": {"value": text.value}})
