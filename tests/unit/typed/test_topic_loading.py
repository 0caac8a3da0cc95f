"""Start-up loading of typed topics from schema files (the registry case is an integration test)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kafka_graphql.core.typed.codecs import AvroCodec, JsonCodec
from kafka_graphql.core.typed.errors import SchemaProblem
from kafka_graphql.core.typed.model import Field, Scalar, ScalarKind
from kafka_graphql.core.typed.topic import load_typed_topics
from kafka_graphql.settings import TopicRule, settings_from_mapping
from tests.unit.typed.helpers import FIXTURES


def rules(*topics: dict[str, object]) -> tuple[TopicRule, ...]:
    return settings_from_mapping({"topics": [*topics, {"name": "plain.*"}]}, FIXTURES).topics


async def test_json_and_avro_topics_load_with_their_codecs() -> None:
    loaded = await load_typed_topics(
        rules(
            {
                "name": "shop.orders",
                "type": "Order",
                "value_schema": "order.schema.json",
                "description": "Configured",
                "deprecated": {"Order.legacyField": "use status", "Order.note": "gone soon"},
            },
            {
                "name": "shop.payments",
                "type": "Payment",
                "value_schema": "payment.avsc",
                "value_format": "avro",
            },
        ),
        None,
    )
    assert list(loaded) == ["shop.orders", "shop.payments"]
    orders, payments = loaded["shop.orders"], loaded["shop.payments"]
    assert isinstance(orders.codec, JsonCodec)
    assert isinstance(payments.codec, AvroCodec)
    root = orders.model.root_type
    assert root.description == "Configured"
    legacy, note = root.field("legacyField"), root.field("note")
    assert legacy is not None
    # The schema has no legacyField: it is kept (read, never written), of type JSON by default.
    assert (legacy.kind, legacy.nullable, legacy.deprecation, legacy.kept) == (
        ScalarKind(Scalar.JSON),
        True,
        "use status",
        True,
    )
    assert note is not None
    assert (note.kind, note.deprecation, note.kept) == (
        ScalarKind(Scalar.STRING),
        "gone soon",
        False,
    )
    assert orders.kept is not None and payments.kept is None
    assert payments.model.root == "Payment"
    assert orders.validator.validate({}) != []


async def test_problems_name_the_topic_and_file(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{not json")
    settings = settings_from_mapping(
        {"topics": [{"name": "t", "type": "T", "value_schema": "bad.json"}]}, tmp_path
    )
    with pytest.raises(SchemaProblem, match=r"^topic t: .*bad\.json at /: not valid JSON"):
        await load_typed_topics(settings.topics, None)
    (tmp_path / "t.json").write_text(json.dumps({"type": "object", "properties": {"a": {}}}))
    settings = settings_from_mapping(
        {
            "topics": [
                {"name": "t", "type": "T", "value_schema": "t.json", "deprecated": {"X.a": "r"}}
            ]
        },
        tmp_path,
    )
    with pytest.raises(SchemaProblem, match=r"deprecated 'X\.a': no object type X here"):
        await load_typed_topics(settings.topics, None)


async def test_a_kept_field_takes_its_type_from_deprecated_types(tmp_path: Path) -> None:
    (tmp_path / "t.json").write_text(json.dumps({"type": "object", "properties": {"a": {}}}))

    def topic(**keys: object) -> dict[str, object]:
        return {"name": "t", "type": "T", "value_schema": "t.json", **keys}

    settings = settings_from_mapping(
        {
            "topics": [
                topic(
                    deprecated={"T.gone": "use a", "T.old": "use a"},
                    deprecated_types={"T.gone": "DateTime"},
                )
            ]
        },
        tmp_path,
    )
    root = (await load_typed_topics(settings.topics, None))["t"].model.root_type
    assert root.field("gone") == Field(
        "gone", ScalarKind(Scalar.DATETIME), True, None, "use a", kept=True
    )
    assert root.field("old") == Field(
        "old", ScalarKind(Scalar.JSON), True, None, "use a", kept=True
    )
    # A field the schema has takes its type from the schema.
    settings = settings_from_mapping(
        {"topics": [topic(deprecated={"T.a": "r"}, deprecated_types={"T.a": "String"})]}, tmp_path
    )
    with pytest.raises(SchemaProblem, match=r"deprecated_types 'T\.a': the schema still has"):
        await load_typed_topics(settings.topics, None)
