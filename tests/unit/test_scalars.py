"""The custom scalars' own parsing (kafka_graphql/graphql/schema/scalars.py), as a variable and as a
literal: what each accepts, and that everything else is BadUserInput (never a ValueError or an
OverflowError that would be a server error). Through the gateway: test_hostile_scalars.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from graphql import parse_value

from kafka_graphql.core.errors import BadUserInput
from kafka_graphql.graphql.schema.scalars import JSON, SCALAR_MAP, Cursor, DateTime, Long


class Scalar:
    """One of SCALAR_MAP's definitions, its parsers called as graphql-core calls them."""

    def __init__(self, key: object) -> None:
        self.definition = SCALAR_MAP[key]

    def parse_value(self, value: Any) -> Any:
        parse = self.definition.parse_value
        assert parse is not None
        return parse(value)

    def parse_literal(self, node: Any, variables: dict[str, Any] | None = None) -> Any:
        parse = self.definition.parse_literal
        assert parse is not None
        return parse(node, variables)


LONG = Scalar(Long)
DATETIME = Scalar(DateTime)
CURSOR = Scalar(Cursor)
JSON_ = Scalar(JSON)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", 0), ("-0", 0), ("007", 7), (5, 5), (5.0, 5), (str(2**63 - 1), 2**63 - 1),
     (str(-(2**63)), -(2**63)), (-(2**63), -(2**63))],
)  # fmt: skip
def test_long_accepts_an_optional_minus_and_ascii_digits(value: Any, expected: int) -> None:
    assert LONG.parse_value(value) == expected


@pytest.mark.parametrize(
    "value",
    ["\u00b2", "\u0663", "\uff11", "+1", "1_0", " 1", "1 ", "0x1", "1e3", "1.0", "", "-",
     "9" * 5000, str(2**63), 2**63, -(2**63) - 1, 1.5, float("inf"), float("nan"), True, None,
     [1], {"a": 1}],
)  # fmt: skip
def test_long_refuses_everything_else(value: Any) -> None:
    with pytest.raises(BadUserInput):
        LONG.parse_value(value)


@pytest.mark.parametrize("literal", ['"\\u00b2"', "99999999999999999999", "1.5", "true", "[1]"])
def test_long_literals_are_as_strict(literal: str) -> None:
    with pytest.raises(BadUserInput):
        LONG.parse_literal(parse_value(literal))
    assert LONG.parse_literal(parse_value('"-12"')) == -12
    assert LONG.parse_literal(parse_value("12")) == 12


def test_datetime_is_iso_8601_that_utc_can_hold() -> None:
    assert DATETIME.parse_value("2026-01-01T00:00:00Z") == datetime(2026, 1, 1, tzinfo=UTC)
    assert DATETIME.parse_value("2026-01-01") == datetime(2026, 1, 1, tzinfo=UTC)
    refused = ["x", "\uff12026-01-01", "99999-01-01", "9999-12-31T23:00:00-05:00",
               "0001-01-01T00:00:00+01:00", "2026-01-01T00:00:00Z" + " " * 60, 5, None]  # fmt: skip
    for value in refused:
        with pytest.raises(BadUserInput):
            DATETIME.parse_value(value)
    with pytest.raises(BadUserInput):
        DATETIME.parse_literal(parse_value("1764072000000"))


def test_cursor_is_short_url_safe_text() -> None:
    assert CURSOR.parse_value("eyJ2IjoxfQ==") == "eyJ2IjoxfQ=="
    for value in ["", "a b", "\u00e9", "A" * 65_537, 5, None]:
        with pytest.raises(BadUserInput):
            CURSOR.parse_value(value)


def _lists(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def test_json_holds_what_json_holds() -> None:
    assert JSON_.parse_value(_lists(100)) == _lists(100)
    with pytest.raises(BadUserInput):
        JSON_.parse_value(_lists(101))
    with pytest.raises(BadUserInput):
        JSON_.parse_value({"x": float("nan")})
    assert JSON_.parse_literal(parse_value('{a: [1, 2.5, "x", null, true, B]}')) == {
        "a": [1, 2.5, "x", None, True, "B"]
    }
    assert JSON_.parse_literal(parse_value("{a: $v}"), {"v": [1]}) == {"a": [1]}
    for literal in ["1e999", "9" * 4301, "[" * 101 + "1" + "]" * 101]:
        with pytest.raises(BadUserInput):
            JSON_.parse_literal(parse_value(literal))
    assert JSON_.parse_literal(parse_value("9" * 4300)) == int("9" * 4300)
