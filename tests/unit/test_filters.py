from __future__ import annotations

from typing import Any

import pytest

from kafka_graphql.errors import BadUserInput
from kafka_graphql.filters import ABSENT, FilterSpec, ValueCondition, compile_filter
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


def test_condition_without_operator_is_refused() -> None:
    with pytest.raises(BadUserInput):
        compile_filter(FilterSpec(value=(ValueCondition(path="a", eq=ABSENT),)))


def test_key_and_headers() -> None:
    spec = FilterSpec(key_prefix="eu-", headers=(("region", "eu"), ("vip", None)))
    predicate = compile_filter(spec)
    assert predicate(record(1, "eu-1", (Header("region", "eu"), Header("vip", "yes"))))
    assert not predicate(record(1, "eu-1", (Header("region", "eu"),)))
    assert not predicate(record(1, None, (Header("region", "eu"), Header("vip", None))))
    assert compile_filter(FilterSpec(key="k"))(record(1, "k"))


def test_too_many_conditions() -> None:
    conditions = tuple(ValueCondition(path="a", exists=True) for _ in range(21))
    with pytest.raises(BadUserInput):
        compile_filter(FilterSpec(value=conditions))
