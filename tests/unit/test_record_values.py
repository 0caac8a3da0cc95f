"""Whatever bytes a record holds, reading it never raises (core/values.py, kafka/reader.py,
kafka/record_batches.py): a table of hostile values, and a reference check of the fast path."""

from __future__ import annotations

import json
import math
import sys
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from aiokafka.record.default_records import _DefaultRecordBatchBuilderPy
from hypothesis import given
from hypothesis import strategies as st

from kafka_graphql.core.values import MAX_VALUE_DEPTH, decode_text, decode_value
from kafka_graphql.http.strict_json import dumps
from kafka_graphql.kafka.reader import to_record
from kafka_graphql.kafka.record_batches import LenientMemoryRecords


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


DIGITS = sys.get_int_max_str_digits()

READABLE: list[tuple[bytes, Any]] = [
    (b"{}", {}),
    (b"", ""),  # empty bytes: the empty text
    (b"null", None),
    (b"  42 ", 42),
    (b"-0", 0),
    (b"1e-400", 0.0),  # below a double's precision: 0, as every JSON reader does
    (b"18446744073709551616", 2**64),  # beyond 64 bits: kept whole (orjson would round it)
    (b"-9223372036854775809", -(2**63) - 1),
    (b"9" * DIGITS, int("9" * DIGITS)),
    (b'{"a":1,"a":2}', {"a": 2}),  # the last of duplicate keys, as Python's json
    (b'"\\ud800"', "\ud800"),  # a lone surrogate: JSON's grammar allows the escape
    (b'\xef\xbb\xbf{"a":1}', {"a": 1}),  # a byte order mark
    ('{"é":1}'.encode("utf-16"), {"é": 1}),  # UTF-16, as json.loads reads bytes
    (b"NaN", "NaN"),  # not JSON: its text
    (b'{"a": Infinity}', '{"a": Infinity}'),
    (b"[1,]", "[1,]"),
    (b"hello", "hello"),
    (b"\xff\x00", {"$binary": {"encoding": "base64", "data": "/wA="}}),
    (b"\xc3\x28", {"$binary": {"encoding": "base64", "data": "wyg="}}),
    (nested(MAX_VALUE_DEPTH), json.loads(nested(MAX_VALUE_DEPTH))),
]

UNREADABLE: list[tuple[bytes, str]] = [
    (b"1e400", "beyond the range of a double"),
    (b"-1E400", "beyond the range of a double"),
    (b'{"a": [1, 2e308]}', "beyond the range of a double"),
    (b"1" * 400 + b".5", "beyond the range of a double"),
    (b"9" * (DIGITS + 1), f"more than {DIGITS} digits"),
    (b'{"n": -' + b"1" * 5000 + b"}", f"more than {DIGITS} digits"),
    (nested(MAX_VALUE_DEPTH + 1), f"more than {MAX_VALUE_DEPTH} levels"),
    (b'{"a":' * 300 + b"1" + b"}" * 300, f"more than {MAX_VALUE_DEPTH} levels"),
    (nested(5_000), f"more than {MAX_VALUE_DEPTH} levels"),
    (b"[" * 100_000, f"more than {MAX_VALUE_DEPTH} levels"),  # not even closed: too deep to say
    # Too deep on the slow path too (what orjson does not read: beyond 64 bits, a surrogate).
    (b"[18446744073709551616," + nested(300) + b"]", f"more than {MAX_VALUE_DEPTH} levels"),
    (b'["\\udc00",' + nested(300) + b"]", f"more than {MAX_VALUE_DEPTH} levels"),
]


@pytest.mark.parametrize(("raw", "expected"), READABLE, ids=lambda v: repr(v)[:30])
def test_a_value_is_its_json_else_its_text_else_base64(raw: bytes, expected: Any) -> None:
    value, error = decode_value(raw)
    assert error is None
    assert value == expected and type(value) is type(expected)
    # Whatever was read, a response can carry it (as the gateway writes responses).
    assert json.loads(dumps({"data": {"messages": {"messages": [{"value": value}]}}}))


@pytest.mark.parametrize(("raw", "reason"), UNREADABLE, ids=lambda v: repr(v)[:30])
def test_json_no_response_could_carry_is_no_value_and_the_reason(raw: bytes, reason: str) -> None:
    value, error = decode_value(raw)
    assert value is None
    assert error is not None and reason in error
    assert len(error) < 200  # never the value itself


def test_a_tombstone_is_null_without_an_error() -> None:
    assert decode_value(None) == (None, None)


def test_keys_and_header_values_are_text_or_bytes_never_both() -> None:
    assert decode_text(b"base64:AAA=") == ("base64:AAA=", None)  # a real key, not a marker
    assert decode_text(b"") == ("", None)
    assert decode_text(b"\xff\xfe") == (None, b"\xff\xfe")
    assert decode_text("ключ".encode()) == ("ключ", None)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


@given(JSON_VALUES)
def test_the_fast_reader_reads_json_as_pythons_json_does(value: Any) -> None:
    raw = json.dumps(value).encode()
    decoded, error = decode_value(raw)
    assert error is None
    expected = json.loads(raw)
    # Same values, same types (an integer stays an integer, whatever its size).
    assert json.dumps(decoded, sort_keys=True) == json.dumps(expected, sort_keys=True)


@given(st.binary(max_size=64))
def test_any_bytes_read_without_raising(raw: bytes) -> None:
    value, error = decode_value(raw)
    if error is None:
        dumps({"value": value})
    else:
        assert value is None


@given(st.floats(allow_nan=False))
def test_a_number_is_read_exactly_as_python_reads_it(number: float) -> None:
    raw = repr(number).encode() if math.isfinite(number) else b"1e999"
    value, error = decode_value(raw)
    if math.isfinite(number):
        assert error is None and value == number
    else:
        assert value is None and error is not None


class _RawName(str):
    """A header name whose bytes are not UTF-8 (aiokafka's builder writes what `encode` gives)."""

    def encode(self, *_: Any, **__: Any) -> bytes:
        return b"\xff\xfename"


def _batch(compression: int) -> bytes:
    builder = _DefaultRecordBatchBuilderPy(
        magic=2,
        compression_type=compression,
        is_transactional=0,
        producer_id=-1,
        producer_epoch=-1,
        base_sequence=-1,
        batch_size=1 << 20,
    )
    builder.append(0, timestamp=1_000, key=b"k", value=b"1", headers=[("a", b"x")])
    builder.append(
        1, timestamp=1_001, key=b"\xff", value=None, headers=[(_RawName("n"), b"\xc3"), ("b", None)]
    )
    builder.append(2, timestamp=1_002, key=None, value=b"\xff", headers=[])
    return bytes(builder.build())


@pytest.mark.parametrize("compression", [0, 1], ids=["plain", "gzip"])
def test_a_batch_with_a_header_name_that_is_not_utf8_reads_whole(compression: int) -> None:
    data = _batch(compression)
    # Two batches and the start of a third (a fetch ends mid-batch): as aiokafka's own.
    batches = LenientMemoryRecords(data + data + data[:20])
    read = []
    while batches.has_next():
        batch = batches.next_batch()
        assert batch.validate_crc()
        assert batch.next_offset == 3
        read.append(list(batch))
    assert len(read) == 2
    for records in read:
        assert [r.offset for r in records] == [0, 1, 2]
        assert [r.timestamp for r in records] == [1_000, 1_001, 1_002]
        assert records[1].headers == [(b"\xff\xfename", b"\xc3"), ("b", None)]
        message = to_record(
            SimpleNamespace(
                topic="t",
                partition=0,
                offset=records[1].offset,
                timestamp=records[1].timestamp,
                key=records[1].key,
                value=records[1].value,
                headers=tuple(records[1].headers),
            ),
            max_headers=64,
        )
        assert message.key is None and message.binary_key == b"\xff"
        assert message.value is None and message.value_error is None  # a tombstone
        first, second = message.headers
        assert (first.key, first.binary_key) == (None, b"\xff\xfename")
        assert (first.value, first.binary_value) == (None, b"\xc3")
        assert (second.key, second.value, second.binary_value) == ("b", None, None)


def test_a_batch_whose_names_decode_is_read_by_aiokafka_itself() -> None:
    builder = _DefaultRecordBatchBuilderPy(
        magic=2,
        compression_type=0,
        is_transactional=0,
        producer_id=-1,
        producer_epoch=-1,
        base_sequence=-1,
        batch_size=1 << 20,
    )
    builder.append(0, timestamp=5, key=None, value=b"{}", headers=[("name", b"v")])
    batch = LenientMemoryRecords(bytes(builder.build())).next_batch()
    (record,) = list(batch)
    assert type(record).__name__ != "LenientRecord"
    assert record.headers == [("name", b"v")]
    assert orjson.loads(record.value) == {}


@pytest.mark.parametrize(("count", "shown"), [(0, 0), (3, 3), (64, 64), (65, 64), (60_000, 64)])
def test_a_record_shows_its_first_headers_and_counts_them_all(count: int, shown: int) -> None:
    raw = SimpleNamespace(
        topic="t",
        partition=0,
        offset=0,
        timestamp=0,
        key=None,
        value=b"1",
        headers=tuple((f"h{i}", b"v") for i in range(count)),
    )
    record = to_record(raw, max_headers=64)
    assert record.header_count == count
    assert [h.key for h in record.headers] == [f"h{i}" for i in range(shown)]
