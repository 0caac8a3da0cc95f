"""The start-up name check (graphql/schema/typed/clashes.py): what may share a name, what may not,
and that it knows every name the binder creates. Each clash's exact message is in
tests/fixtures/sdl/startup-failures.txt (test_startup_failures.py)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from kafka_graphql.core.typed.records import TypedRecords
from kafka_graphql.core.typed.startup import StartupFailed
from kafka_graphql.core.typed.topic import TypedTopic, load_typed_topics
from kafka_graphql.graphql.schema import build_schema
from kafka_graphql.graphql.schema.typed import NameClash, check_names, gateway_names
from kafka_graphql.server import create_app
from kafka_graphql.settings import settings_from_mapping
from tests.unit.typed.helpers import FIXTURES
from tests.unit.typed.test_sdl_snapshots import CASES as SDL_CASES

ADDRESS = {
    "title": "Address",
    "type": "object",
    "required": ["city"],
    "properties": {"city": {"type": "string"}},
}


async def load(folder: Path, topics: list[dict[str, Any]]) -> list[TypedTopic]:
    settings = settings_from_mapping({"topics": topics}, folder)
    return list((await load_typed_topics(settings.topics, None)).values())


def write(folder: Path, name: str, schema: dict[str, Any]) -> str:
    (folder / name).write_text(json.dumps(schema))
    return name


def with_property(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties}


async def test_one_shape_under_one_name_is_one_type(tmp_path: Path) -> None:
    topics = await load(
        tmp_path,
        [
            {
                "name": "a",
                "type": "A",
                "value_schema": write(tmp_path, "a.json", with_property(home=ADDRESS)),
            },
            {
                "name": "b",
                "type": "B",
                "value_schema": write(tmp_path, "b.json", with_property(work=ADDRESS)),
            },
        ],
    )
    sdl = build_schema(typed=map(TypedRecords, topics)).as_str()
    for shared in ("type Address {", "input AddressInput {", "input AddressWhere {"):
        assert sdl.count(shared) == 1


async def test_the_same_type_nested_in_two_topics_is_shared_but_not_a_root_and_a_nested_one(
    tmp_path: Path,
) -> None:
    customer = {"type": "object", "properties": {"name": {"type": "string"}}}
    nested = with_property(customer={"title": "Customer", **customer})
    a = write(tmp_path, "a.json", nested)
    b = write(tmp_path, "b.json", nested)
    root = write(tmp_path, "customer.json", customer)
    fine = await load(
        tmp_path,
        [
            {"name": "a", "type": "A", "value_schema": a},
            {"name": "b", "type": "B", "value_schema": b},
        ],
    )
    assert "input CustomerWhere {" in build_schema(typed=map(TypedRecords, fine)).as_str()
    # The same Customer as a root type: its where has `key`, the nested one's has not.
    clashing = await load(
        tmp_path,
        [
            {"name": "a", "type": "A", "value_schema": a},
            {"name": "customers", "type": "Customer", "value_schema": root},
        ],
    )
    with pytest.raises(NameClash, match=r"^topics a and customers: CustomerWhere would name"):
        build_schema(typed=map(TypedRecords, clashing))


async def test_the_check_knows_every_name_the_binder_creates() -> None:
    """If the binder gains a generated type or root field, the check must claim it too."""
    topics: list[TypedTopic] = []
    for config in SDL_CASES.values():
        settings = settings_from_mapping(tomllib.loads(config), FIXTURES)
        topics += (await load_typed_topics(settings.topics, None)).values()
    generic = build_schema()
    gateway = gateway_names(generic)
    claimed = check_names(topics, gateway)
    served = build_schema(typed=map(TypedRecords, topics)).introspect()["__schema"]["types"]
    added = {t["name"] for t in served} - gateway.types
    assert added == claimed.types - gateway.types
    assert len(added) > 100  # every fixture's types
    fields = {
        (t["name"], f["name"])
        for t in served
        if t["name"] in ("Query", "Mutation", "Subscription")
        for f in t["fields"]
    }
    generic_fields = {(root, name) for root, names in gateway.fields.items() for name in names}
    assert fields - generic_fields == claimed.fields
    assert ("Mutation", "produceStockLevels") in claimed.fields


async def test_a_clash_stops_the_server_before_it_serves(tmp_path: Path) -> None:
    schema = write(tmp_path, "a.json", with_property(id={"type": "string"}))
    settings = settings_from_mapping(
        {"topics": [{"name": "a", "type": "A", "field": "messages", "value_schema": schema}]},
        tmp_path,
    )
    app = create_app(settings)
    # As aiohttp's runner starts an app (the typed topics' step runs before the Kafka one, so no
    # broker is needed).
    app.on_startup.freeze()
    with pytest.raises(StartupFailed, match=r"^topic a: Query\.messages, its page query"):
        await app.startup()
