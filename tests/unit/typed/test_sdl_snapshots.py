"""The SDL that `kafka-graphql schema` prints for typed topics, compared exactly with the snapshots
in tests/fixtures/sdl/ (`UPDATE_SNAPSHOTS=1 make test-unit` rewrites them; review the diff).

Together the fixtures cover every mapping of docs/typed-topics.md: JSON Schema 2020-12 and draft-07,
nested objects named by `title` and by parent + property, arrays of objects and of scalars, enums,
required and optional, Int and Long, Float, DateTime, nullable types, `$ref`, discriminated unions,
free-form JSON, descriptions and deprecations; Avro records, nested records, enums, arrays, int,
long, timestamps, bytes, fixed, maps, named-type references and docs.
"""

from __future__ import annotations

import tomllib

import pytest

from kafka_graphql.cli import schema_sdl
from kafka_graphql.graphql.schema import build_schema
from kafka_graphql.settings import settings_from_mapping
from tests.unit.typed.helpers import FIXTURES, SDL_SNAPSHOTS, check_snapshot
from tests.unit.typed.sdl import typed_part

# Snapshot name -> the topics (as in a configuration file; schema paths are in
# tests/fixtures/schemas).
CASES = {
    "order": """
[[topics]]
name = "shop.orders"
type = "Order"
value_schema = "order.schema.json"

[topics.deprecated]
"Order.note" = "use notes"
"OrderCustomer.email" = "use contact"
"Order.giftWrap" = "gift wrapping was dropped"
""",
    "shipment": """
[[topics]]
name = "logistics.shipments"
type = "Shipment"
field = "parcels"
description = "Parcels on their way to customers"
value_schema = "shipment.draft7.schema.json"
""",
    "tree": """
[[topics]]
name = "trees"
type = "Tree"
value_schema = "tree.draft7.schema.json"
""",
    "payment": """
[[topics]]
name = "shop.payments"
type = "Payment"
value_schema = "payment.avsc"
value_format = "avro"
deprecated = { "Payment.ratio" = "use rate" }
""",
    "stock": """
[[topics]]
name = "warehouse.stock"
type = "Stock"
field = "stockLevels"
value_schema = "stock.avsc"
value_format = "avro"
""",
}


def header(config: str) -> str:
    lines = [
        "# The typed part of the SDL `kafka-graphql schema` prints for this configuration",
        "# (the generic API of docs/schema.graphql is left out):",
        *(f"# {line}" if line else "#" for line in config.strip().splitlines()),
    ]
    return "\n".join(lines) + "\n\n"


@pytest.mark.parametrize("name", CASES)
async def test_sdl_snapshot(name: str) -> None:
    config = CASES[name]
    settings = settings_from_mapping(tomllib.loads(config), FIXTURES)
    sdl = await schema_sdl(settings)
    generic = build_schema(settings.limits).as_str()
    check_snapshot(SDL_SNAPSHOTS / f"{name}.graphql", header(config) + typed_part(sdl, generic))


async def test_the_typed_part_keeps_only_what_typed_topics_add() -> None:
    settings = settings_from_mapping(tomllib.loads(CASES["tree"]), FIXTURES)
    part = typed_part(await schema_sdl(settings), build_schema(settings.limits).as_str())
    # The root types come first, with only the typed topic's fields.
    assert part.startswith('type Query {\n  """\n  A page of topic trees')
    assert "  trees(where: TreeWhere" in part.split("type Subscription {")[1]
    for generic in ("topics: [Topic!]!", "produceBatch(", "type MessagePage", "scalar Cursor"):
        assert generic not in part
    # Types only typed topics use stay, shared ones among them.
    for typed in ("type PageInfo {", "input StringFilter {", "type TreeNode {"):
        assert typed in part
