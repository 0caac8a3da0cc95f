"""What a push stream reads from its request (where it starts, its filter) and how it writes
Server-Sent Events: one `data` line of JSON, the cursor as `id`, the error event's body."""

from __future__ import annotations

import pytest
from multidict import MultiDict

from kafka_graphql.core.reads import Start
from kafka_graphql.core.selection import MessageFilter
from kafka_graphql.http.event_stream import sse
from kafka_graphql.kafka import Header, Record
from kafka_graphql.rest.errors import RestError
from kafka_graphql.rest.push_events import error_event, filter_of, record_shape, start_of


@pytest.mark.parametrize(
    ("query", "last_event_id", "start"),
    [
        ({}, None, Start()),
        ({"from": "end"}, None, Start()),
        ({"from": "beginning"}, None, Start(beginning=True)),
        ({"from": "CURSOR"}, None, Start(after="CURSOR")),
        ({"from": "beginning"}, "LAST", Start(after="LAST")),
        ({"from": "beginning"}, "", Start(beginning=True)),
        ({"on_gap": "fail"}, None, Start(on_gap="FAIL")),
        ({"from": "CURSOR", "on_gap": "report"}, None, Start(after="CURSOR")),
        ({"on_gap": "fail"}, "LAST", Start(after="LAST", on_gap="FAIL")),
    ],
)
def test_where_a_stream_starts(
    query: dict[str, str], last_event_id: str | None, start: Start
) -> None:
    assert start_of(MultiDict(query), last_event_id) == start


def test_the_filter_from_the_query() -> None:
    query = MultiDict({"from": "end", "key": "k", "keyPrefix": "o-", "header.region": "eu"})
    assert filter_of(query) == MessageFilter(
        {"key": "k", "keyPrefix": "o-", "headers": [{"key": "region", "value": "eu"}]}
    )
    assert filter_of(MultiDict()) == MessageFilter(None)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            [("value", "1")],
            "unknown query parameter `value` (from, on_gap, key, keyPrefix, header.<name>)",
        ),
        (
            [("header.", "1")],
            "unknown query parameter `header.` (from, on_gap, key, keyPrefix, header.<name>)",
        ),
        ([("key", "a"), ("key", "b")], "query parameter `key` given more than once"),
        ([("from", "end"), ("from", "end")], "query parameter `from` given more than once"),
        ([("on_gap", "skip")], "query parameter `on_gap` must be `report` or `fail`"),
    ],
)
def test_query_refusals(query: list[tuple[str, str]], message: str) -> None:
    starts = query[0][0] in ("from", "on_gap")
    with pytest.raises(RestError) as refused:
        start_of(MultiDict(query), None) if starts else filter_of(MultiDict(query))
    assert (refused.value.status, refused.value.message) == (400, message)


def test_events_and_the_error_event() -> None:
    assert sse('{"a":"x\\ny"}', event_id="C1") == b'id: C1\ndata: {"a":"x\\ny"}\n\n'
    assert error_event({"error_code": 42901, "message": "m"}, "C2", 2000) == (
        b"event: error\nid: C2\nretry: 2000\n"
        b'data: {"error_code":42901,"message":"m","cursor":"C2"}\n\n'
    )
    assert error_event({"error_code": 500, "message": "m"}, None, None) == (
        b'event: error\ndata: {"error_code":500,"message":"m","cursor":null}\n\n'
    )


def test_a_record_in_the_consumer_apis_shape() -> None:
    record = Record(
        "t",
        1,
        7,
        0,
        None,
        {"v": 1},
        (Header("h", "ab"), Header(None, None, b"\xff", b"\x00"), Header("n", None)),
        binary_key=b"\xfe",
    )
    assert record_shape(record) == {
        "topic": "t",
        "key": "/g==",
        "value": {"v": 1},
        "partition": 1,
        "offset": 7,
        "headers": [
            {"name": "h", "value": "YWI="},
            {"name": "/w==", "value": "AA=="},
            {"name": "n", "value": None},
        ],
    }
