"""A v3 produce body cut into its records as its bytes arrive, however they are split:
whitespace or nothing between objects, braces and escaped quotes inside strings, a record over
the size limit, text that is not an object, a body that ends inside a record."""

from __future__ import annotations

import pytest

from kafka_graphql.rest.errors import RestError
from kafka_graphql.rest.v3_stream import RecordCutter

BODY = b' {"a": "}{\\"x"} {"b": [1, {"c": 2}]}\n{"d":"\\\\"}{"e":1}  '
RECORDS = [b'{"a": "}{\\"x"}', b'{"b": [1, {"c": 2}]}', b'{"d":"\\\\"}', b'{"e":1}']


@pytest.mark.parametrize("size", [1, 2, 3, 7, len(BODY)])
def test_records_in_chunks_of_any_size(size: int) -> None:
    cutter = RecordCutter(1000)
    found = []
    for start in range(0, len(BODY), size):
        found += cutter.feed(BODY[start : start + size])
    cutter.end()
    assert found == RECORDS


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b'{"a": 1} 2', 400, "each record must be a JSON object (`{...}`)"),
        (b'{"a": "' + b"x" * 20, 413, "a record takes at most 16 bytes (limits.max_request_bytes)"),
    ],
)
def test_refused_while_fed(body: bytes, status: int, message: str) -> None:
    with pytest.raises(RestError) as refused:
        RecordCutter(16).feed(body)
    assert (refused.value.status, refused.value.message) == (status, message)


def test_a_body_that_ends_inside_a_record() -> None:
    cutter = RecordCutter(100)
    assert cutter.feed(b'{"a": 1} {"b": ') == [b'{"a": 1}']
    with pytest.raises(RestError) as refused:
        cutter.end()
    assert refused.value.message == "the body ended inside a record (a JSON object left unclosed)"
