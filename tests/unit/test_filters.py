from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kafka_graphql.core.errors import BadUserInput
from kafka_graphql.core.filters.paths import ABSENT, lookup, parse_path
from kafka_graphql.core.filters.predicates import (
    FilterSpec,
    ValueCondition,
    _json_equal,
    compile_filter,
    spec_from_plain,
)
from kafka_graphql.kafka.records import Header, Record


def record(value: Any, key: str | None = None, headers: tuple[Header, ...] = ()) -> Record:
    return Record("t", 0, 0, 0, key, value, headers)


def matches(value: Any, **condition: Any) -> bool:
    spec = FilterSpec(value=(ValueCondition(path=condition.pop("path", "v"), **condition),))
    return compile_filter(spec)(record(value))


def test_no_filter_matches_everything() -> None:
    assert compile_filter(None)(record(1))
    assert compile_filter(FilterSpec())(record(None))


def test_json_equality_is_type_aware() -> None:
    assert matches({"v": 1}, eq=1.0)
    assert not matches({"v": True}, eq=1)
    assert not matches({"v": "1"}, eq=1)
    assert matches({"v": None}, eq=None)
    assert not matches({}, eq=None)  # absent is not null
    assert matches({"v": [1, {"a": 2}]}, eq=[1, {"a": 2}])


def test_ne_and_in_and_exists() -> None:
    assert matches({}, ne=1)
    assert not matches({"v": 1}, ne=1)
    assert matches({"v": "b"}, one_of=["a", "b"])
    assert not matches({}, one_of=[None])
    assert matches({"v": None}, exists=True)
    assert matches({"w": 1}, exists=False)


def test_numeric_bounds_ignore_non_numbers() -> None:
    assert matches({"v": 3}, gt=2, lte=3)
    assert not matches({"v": "3"}, gt=2)
    assert not matches({"v": True}, gte=0)
    with pytest.raises(BadUserInput):
        matches({"v": 1}, gt=float("inf"))


def test_paths_into_objects_and_lists() -> None:
    value = {"a": {"b": [{"c": "x"}, {"c": "y"}]}}
    assert matches(value, path="a.b.1.c", eq="y")
    assert not matches(value, path="a.b.5.c", exists=True)
    assert not matches("plain text", path="a", exists=True)
    assert matches({"tags": ["x", "y"]}, path="tags", contains="y")
    assert matches({"s": "hello"}, path="s", contains="ell")


@pytest.mark.parametrize("path", ["", "a..b", ".a", "a." + ".".join(["x"] * 40)])
def test_bad_paths(path: str) -> None:
    with pytest.raises(BadUserInput):
        matches({}, path=path, exists=True)


# Segments that read as a number other than by ASCII digits: str.isdigit() accepts the first
# four (and int() refuses them), the others are signed or not digits at all.
NOT_AN_INDEX = [
    "²",
    "¹²",
    "\u0663",
    "\uff11",
    "\u0967",
    "\u09e9",
    "-1",
    "+1",
    "-0",
    "½",
    "Ⅻ",
    "1" * 10,
    "9" * 5001,
]


@pytest.mark.parametrize("segment", NOT_AN_INDEX)
def test_a_segment_that_reads_as_a_number_must_be_an_ascii_index(segment: str) -> None:
    with pytest.raises(BadUserInput) as refused:
        parse_path(f"items.{segment}.sku", ["filter", "value", 3, "path"])
    assert refused.value.extensions == {"path": ["filter", "value", 3, "path"]}
    with pytest.raises(BadUserInput):
        compile_filter(FilterSpec(value=(ValueCondition(path=f"a.{segment}", exists=True),)))


def test_segments_are_names_or_bounded_ascii_indices() -> None:
    assert parse_path("a.0.b") == (("a", None), ("0", 0), ("b", None))
    assert parse_path("999999999") == (("999999999", 999_999_999),)
    assert parse_path("007") == (("007", 7),)
    # Names may hold digits, signs and any text, when they do not read as a number.
    assert parse_path("x².a-1.1e5. 1.é") == (
        ("x²", None),
        ("a-1", None),
        ("1e5", None),
        (" 1", None),
        ("é", None),
    )


def test_lookup_never_raises_and_reads_indices_as_field_names_too() -> None:
    value = {"items": [{"sku": "a"}, {"sku": "b"}], "0": "zero"}
    assert lookup(value, parse_path("items.1.sku")) == "b"
    assert lookup(value, parse_path("items.999999999.sku")) is ABSENT
    assert lookup(value, parse_path("0")) == "zero"
    assert lookup(value, parse_path("items.x")) is ABSENT
    assert lookup(["a"], parse_path("0.0")) is ABSENT
    assert lookup(None, parse_path("a")) is ABSENT


def test_condition_without_operator_is_refused() -> None:
    with pytest.raises(BadUserInput) as refused:
        compile_filter(FilterSpec(value=(ValueCondition(path="a", eq=ABSENT),)))
    assert refused.value.extensions == {"path": ["filter", "value", 0]}


def test_key_and_headers() -> None:
    spec = FilterSpec(key_prefix="eu-", headers=(("region", "eu"), ("vip", None)))
    predicate = compile_filter(spec)
    assert predicate(record(1, "eu-1", (Header("region", "eu"), Header("vip", "yes"))))
    assert not predicate(record(1, "eu-1", (Header("region", "eu"),)))
    assert not predicate(record(1, None, (Header("region", "eu"), Header("vip", None))))
    assert compile_filter(FilterSpec(key="k"))(record(1, "k"))


def test_a_plain_filter_compiles_as_its_spec() -> None:
    plain = {
        "keyPrefix": "eu-",
        "headers": [{"key": "vip", "value": None}],
        "value": [{"path": "v", "eq": None}, {"path": "w", "in": [1, 2]}],
    }
    spec = spec_from_plain(plain)
    assert spec is not None and spec.value[0].eq is None and spec.value[1].eq is ABSENT
    predicate = compile_filter(spec)
    assert predicate(record({"v": None, "w": 2.0}, "eu-1", (Header("vip", "x"),)))
    assert not predicate(record({"w": 2}, "eu-1", (Header("vip", "x"),)))


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.sampled_from([0.0, 1.0, 2.5, -0.0])
    | st.sampled_from(["", "a", "1"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("ab"), inner),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(JSON, st.lists(JSON, max_size=4))
def test_in_matches_exactly_when_a_value_is_json_equal(value: Any, options: list[Any]) -> None:
    # `in` looks values up by a canonical form; equality stays `_json_equal`'s.
    expected = any(_json_equal(value, option) for option in options)
    assert matches({"v": value}, one_of=options) == expected


def test_in_with_containers_and_numbers() -> None:
    assert matches({"v": [1, {"a": True}]}, one_of=[[1.0, {"a": True}]])
    assert not matches({"v": [1, {"a": 1}]}, one_of=[[1, {"a": True}]])
    assert not matches({"v": {"a": 1}}, one_of=[1, "a"])
    assert not matches({"v": True}, one_of=[1])
    assert matches({"v": 2**53 + 1}, one_of=[2**53 + 1])
    assert not matches({"v": 2**53 + 1}, one_of=[float(2**53)])
