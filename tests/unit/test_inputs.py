"""MessageInput builds itself (graphql/schema/inputs.py) for speed: it must build what Strawberry's
own conversion builds, for every shape of message a produceBatch can carry."""

from __future__ import annotations

from typing import Any

import pytest
from strawberry.annotation import StrawberryAnnotation
from strawberry.types.arguments import convert_argument

from kafka_graphql.graphql.schema import build_schema
from kafka_graphql.graphql.schema.inputs import MessageInput

MESSAGES: list[dict[str, Any]] = [
    {"value": 1},
    {"value": None},
    {"value": {"a": [1, "x", None]}, "key": "k"},
    {"value": "v", "key": None, "headers": None, "partition": None},
    {"value": [], "headers": []},
    {
        "value": 1.5,
        "headers": [{"key": "h"}, {"key": "h", "value": None}, {"key": "i", "value": "x"}],
    },
    {"value": True, "key": "", "partition": 0},
]


SCHEMA = build_schema()


def _convert(value: list[dict[str, Any]]) -> Any:
    type_ = StrawberryAnnotation(list[MessageInput]).resolve()
    registry = SCHEMA.schema_converter.scalar_registry
    return convert_argument(value, type_, registry, SCHEMA.config)


def test_message_input_builds_what_strawberry_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    ours = _convert(MESSAGES)
    definition = MessageInput.__strawberry_definition__  # type: ignore[attr-defined]
    assert definition.from_input is not None
    monkeypatch.setattr(definition, "from_input", None)
    strawberry_s = _convert(MESSAGES)
    assert ours == strawberry_s
    assert [type(m) for m in ours] == [MessageInput] * len(MESSAGES)
