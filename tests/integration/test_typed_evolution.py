"""Schema evolution end to end: a gateway writes with one schema version, stops, and a new
gateway starts with the next. The SDL gains what the new version adds, old records still decode
(or arrive with `schemaErrors` when they cannot), and pages and streams never break on them.

JSON Schema files, Avro files and registry subjects (Avro and JSON Schema, in the real registry).
"""

from __future__ import annotations

import io
import json
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aiohttp
import fastavro
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from tests.clients import LEGACY_WS, TRANSPORT_WS, GraphQLClient
from tests.integration.helpers import PRODUCE
from tests.integration.test_schema_registry import register
from tests.integration.test_typed_avro import raw_records
from tests.integration.typed import ENVELOPE, create_topic, typed_gateway

PROTOCOLS = (TRANSPORT_WS, LEGACY_WS)
# A registry id no test registers (Apicurio counts up from 1).
UNKNOWN_ID = 2**31 - 1

TYPE_FIELDS = """
query($name: String!) { __type(name: $name) {
  fields(includeDeprecated: true) {
    name isDeprecated deprecationReason type { kind name ofType { name } }
  }
  inputFields(includeDeprecated: true) {
    name description isDeprecated deprecationReason type { name }
  }
  enumValues { name }
} }"""
ROOT_FIELDS = """
query { __schema {
  queryType { fields { name } } mutationType { fields { name } }
  subscriptionType { fields { name } }
} }"""


async def described(client: GraphQLClient, type_name: str) -> dict[str, Any]:
    """A type by introspection: its fields (or input fields) by name, and its enum values."""
    found = (await client.data(TYPE_FIELDS, {"name": type_name}))["__type"]
    assert found is not None, f"no type {type_name}"
    fields = found["fields"] or found["inputFields"] or []
    return {
        "fields": {f["name"]: f for f in fields},
        "enum": [v["name"] for v in found["enumValues"] or []],
    }


def type_text(field: Mapping[str, Any]) -> str:
    kind = field["type"]
    if kind.get("kind") == "NON_NULL":
        return f"{kind['ofType']['name']}!"
    return str(kind["name"])


async def root_fields(client: GraphQLClient) -> dict[str, set[str]]:
    schema = (await client.data(ROOT_FIELDS))["__schema"]
    return {
        root: {f["name"] for f in schema[f"{root}Type"]["fields"]}
        for root in ("query", "mutation", "subscription")
    }


def schema_file(folder: Path, name: str, schema: Mapping[str, Any]) -> str:
    path = folder / name
    path.write_text(json.dumps(schema))
    return str(path)


# JSON Schema: v2 adds an optional field and an enum value; a second typed topic is new in v2.

ORDER_V1: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "status": {"enum": ["PLACED", "SHIPPED"]},
        "quantity": {"type": "integer", "minimum": 0, "maximum": 1000},
    },
    "required": ["id", "status", "quantity"],
}
ORDER_V2: dict[str, Any] = {
    **ORDER_V1,
    "properties": {
        **ORDER_V1["properties"],
        "status": {"enum": ["PLACED", "SHIPPED", "CANCELLED"]},
        "note": {"type": "string"},
    },
}
SHIPMENT: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {"id": {"type": "string"}, "carrier": {"type": "string"}},
    "required": ["id"],
}

PRODUCE_ORDER = """
mutation($value: OrderInput!) { produceOrder(value: $value) { partition offset } }"""


def orders_query(fields: str) -> str:
    return f"""
query($where: OrderWhere) {{ orders(first: 40, where: $where) {{
  edges {{ node {{ {ENVELOPE} value {{ {fields} }} }} }}
}} }}"""


def orders_subscription(fields: str) -> str:
    return f"""
subscription($fromOffset: Long) {{
  orders(fromOffset: $fromOffset) {{ {ENVELOPE} value {{ {fields} }} }}
}}"""


async def order_nodes(
    client: GraphQLClient, fields: str, where: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    page = (await client.data(orders_query(fields), {"where": where}))["orders"]
    return [edge["node"] for edge in page["edges"]]


async def next_offset(client: GraphQLClient, topic: str) -> int:
    data = await client.data(
        "query($t: String!) { topic(name: $t) { partitions { latestOffset } } }", {"t": topic}
    )
    return int(data["topic"]["partitions"][0]["latestOffset"])


async def test_a_restart_gains_an_optional_field_an_enum_value_and_a_new_topic(
    admin: AIOKafkaAdminClient, bootstrap: str, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    orders, shipments = (await create_topic(admin, 1), await create_topic(admin, 1))
    v1 = {
        "name": orders,
        "type": "Order",
        "value_schema": schema_file(tmp_path, "v1.json", ORDER_V1),
    }
    old = [
        {"id": "o-1", "status": "PLACED", "quantity": 1},
        {"id": "o-2", "status": "SHIPPED", "quantity": 2},
    ]
    async with typed_gateway(bootstrap, [v1]) as gateway:
        client = GraphQLClient(http, gateway.url)
        for value in old:
            await client.data(PRODUCE_ORDER, {"value": value})
        assert "note" not in (await described(client, "Order"))["fields"]
        assert "shipments" not in (await root_fields(client))["query"]

    v2 = {**v1, "value_schema": schema_file(tmp_path, "v2.json", ORDER_V2)}
    shipment = {
        "name": shipments,
        "type": "Shipment",
        "value_schema": schema_file(tmp_path, "shipment.json", SHIPMENT),
    }
    async with typed_gateway(bootstrap, [v2, shipment]) as gateway:
        client = GraphQLClient(http, gateway.url)
        order_type = (await described(client, "Order"))["fields"]
        assert type_text(order_type["note"]) == "String"
        assert (await described(client, "OrderStatus"))["enum"] == [
            "PLACED",
            "SHIPPED",
            "CANCELLED",
        ]
        assert "note" in (await described(client, "OrderInput"))["fields"]
        assert type_text((await described(client, "OrderWhere"))["fields"]["note"]) == (
            "StringFilter"
        )
        roots = await root_fields(client)
        assert {"shipments", "orders"} <= roots["query"]
        assert {"produceShipment", "produceShipments"} <= roots["mutation"]
        assert "shipments" in roots["subscription"]

        # Records written with v1 decode with v2: the new field is null.
        fields = "id status quantity note"
        nodes = await order_nodes(client, fields)
        assert [n["value"] for n in nodes] == [{**v, "note": None} for v in old]
        assert all(n["schemaErrors"] == [] for n in nodes)

        # New values with the new field and enum value: produce -> subscription and query.
        for number, protocol in enumerate(PROTOCOLS, start=3):
            start = await next_offset(client, orders)
            value = {"id": f"o-{number}", "status": "CANCELLED", "quantity": number, "note": "n"}
            subscription = orders_subscription(fields)
            async with client.subscribe(subscription, {"fromOffset": start}, protocol) as sub:
                await client.data(PRODUCE_ORDER, {"value": value})
                live = await sub.next_message("orders")
            assert (live["offset"], live["value"], live["schemaErrors"]) == (start, value, [])
        nodes = await order_nodes(client, fields, {"status": {"eq": "CANCELLED"}})
        assert [n["value"]["id"] for n in nodes] == ["o-3", "o-4"]

        # The new topic is served like any other.
        await client.data(
            "mutation($v: ShipmentInput!) { produceShipment(value: $v) { offset } }",
            {"v": {"id": "s-1", "carrier": "post"}},
        )
        page = await client.data("query { shipments { edges { node { value { id carrier } } } } }")
        (edge,) = page["shipments"]["edges"]
        assert edge["node"]["value"] == {"id": "s-1", "carrier": "post"}


# `deprecated`: v2 drops legacyField (and refuses unknown properties); the setting keeps it.

ORDER_LEGACY_V1: dict[str, Any] = {
    **ORDER_V1,
    "properties": {**ORDER_V1["properties"], "legacyField": {"type": "string"}},
    "additionalProperties": False,
}
ORDER_LEGACY_V2: dict[str, Any] = {**ORDER_V1, "additionalProperties": False}


async def test_a_deprecated_setting_keeps_a_dropped_field_readable_and_filterable(
    admin: AIOKafkaAdminClient, bootstrap: str, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    topic = await create_topic(admin, 1)
    v1 = {
        "name": topic,
        "type": "Order",
        "value_schema": schema_file(tmp_path, "v1.json", ORDER_LEGACY_V1),
    }
    async with typed_gateway(bootstrap, [v1]) as gateway:
        client = GraphQLClient(http, gateway.url)
        await client.data(
            PRODUCE_ORDER,
            {"value": {"id": "o-1", "status": "PLACED", "quantity": 1, "legacyField": "L-1"}},
        )
        await client.data(
            PRODUCE_ORDER, {"value": {"id": "o-2", "status": "PLACED", "quantity": 2}}
        )

    v2 = {
        **v1,
        "value_schema": schema_file(tmp_path, "v2.json", ORDER_LEGACY_V2),
        "deprecated": {"Order.legacyField": "use status"},
        "deprecated_types": {"Order.legacyField": "String"},
    }
    async with typed_gateway(bootstrap, [v2]) as gateway:
        client = GraphQLClient(http, gateway.url)
        legacy = (await described(client, "Order"))["fields"]["legacyField"]
        assert (type_text(legacy), legacy["isDeprecated"], legacy["deprecationReason"]) == (
            "String",
            True,
            "use status",
        )
        # Filterable (the where entry is deprecated too), never written: not in OrderInput.
        where_entry = (await described(client, "OrderWhere"))["fields"]["legacyField"]
        assert type_text(where_entry) == "StringFilter"
        assert (where_entry["isDeprecated"], where_entry["deprecationReason"]) == (
            True,
            "use status",
        )
        assert "legacyField" not in (await described(client, "OrderInput"))["fields"]

        await client.data(
            PRODUCE_ORDER, {"value": {"id": "o-3", "status": "SHIPPED", "quantity": 3}}
        )
        nodes = await order_nodes(client, "id legacyField")
        assert [n["value"] for n in nodes] == [
            {"id": "o-1", "legacyField": "L-1"},
            {"id": "o-2", "legacyField": None},
            {"id": "o-3", "legacyField": None},
        ]
        assert all(n["schemaErrors"] == [] for n in nodes)
        kept = await order_nodes(client, "id", {"legacyField": {"eq": "L-1"}})
        assert [n["value"]["id"] for n in kept] == ["o-1"]
        without = await order_nodes(client, "id", {"legacyField": {"exists": False}})
        assert [n["value"]["id"] for n in without] == ["o-2", "o-3"]

        # Writing it: not a field of OrderInput, and the schema itself refuses it.
        before = await next_offset(client, topic)
        value = {"id": "o-4", "status": "PLACED", "quantity": 4, "legacyField": "L-4"}
        body = await client.post(PRODUCE_ORDER, {"value": value})
        assert body["errors"] and "legacyField" in body["errors"][0]["message"]
        codes = await client.error_codes(PRODUCE, {"topic": topic, "value": value})
        assert codes == ["BAD_USER_INPUT"]
        assert await next_offset(client, topic) == before


# Records the topic's schema cannot read: written by other producers (raw aiokafka here).

INCOMPATIBLE_JSON = [
    ({"id": "x-1", "status": "RETURNED", "quantity": 1}, "'RETURNED' is not one of"),
    ({"id": "x-2", "status": "PLACED"}, "'quantity' is a required property"),
    ({"id": 3, "status": "PLACED", "quantity": 1}, "3 is not of type 'string'"),
]


def assert_incompatible(node: Mapping[str, Any], raw: object, reason: str) -> None:
    assert node["value"] is None and node["rawValue"] == raw, node
    assert any(reason in error for error in node["schemaErrors"]), node["schemaErrors"]


async def test_incompatible_json_records_arrive_with_schema_errors_and_reads_go_on(
    admin: AIOKafkaAdminClient,
    bootstrap: str,
    http: aiohttp.ClientSession,
    raw_producer: AIOKafkaProducer,
    tmp_path: Path,
) -> None:
    topic = await create_topic(admin, 1)
    rule = {
        "name": topic,
        "type": "Order",
        "value_schema": schema_file(tmp_path, "v.json", ORDER_V1),
    }
    async with typed_gateway(bootstrap, [rule]) as gateway:
        client = GraphQLClient(http, gateway.url)
        fields = "id status quantity"
        good = {"id": "o-1", "status": "PLACED", "quantity": 1}
        for protocol in PROTOCOLS:
            start = await next_offset(client, topic)
            # Live: the subscriber is at the end when the bad records arrive between good ones.
            async with client.subscribe(
                orders_subscription(fields), {"fromOffset": start}, protocol
            ) as sub:
                await client.data(PRODUCE_ORDER, {"value": good})
                first = await sub.next_message("orders")
                for raw, _reason in INCOMPATIBLE_JSON:
                    await raw_producer.send_and_wait(topic, json.dumps(raw).encode())
                await client.data(PRODUCE_ORDER, {"value": good})
                streamed = [first, *await sub.take(len(INCOMPATIBLE_JSON) + 1, "orders")]
            assert [m["offset"] for m in streamed] == list(range(start, start + 5))
            assert streamed[0]["value"] == streamed[-1]["value"] == good
            for message, (raw, reason) in zip(streamed[1:-1], INCOMPATIBLE_JSON, strict=True):
                assert_incompatible(message, raw, reason)

        # The page holds them all, in order.
        nodes = await order_nodes(client, fields)
        assert len(nodes) == 10
        assert [n["value"] is not None for n in nodes] == [True, False, False, False, True] * 2
        for node, (raw, reason) in zip(nodes[1:4], INCOMPATIBLE_JSON, strict=True):
            assert_incompatible(node, raw, reason)


# avro-confluent through the real registry: every record names its writer schema.


def refund(
    reason_symbols: list[str], *fields: dict[str, Any], amount: str = "long"
) -> dict[str, Any]:
    return {
        "type": "record",
        "name": "Refund",
        "fields": [
            {"name": "id", "type": "string"},
            {"name": "amountCents", "type": amount},
            {
                "name": "reason",
                "type": {"type": "enum", "name": "Reason", "symbols": reason_symbols},
            },
            *fields,
        ],
    }


REFUND_V1 = refund(
    ["LATE", "BROKEN"], {"name": "legacyNote", "type": ["null", "string"], "default": None}
)
# Compatible: legacyNote dropped, an enum symbol and a field with a default added.
REFUND_V2 = refund(
    ["LATE", "BROKEN", "LOST"], {"name": "channel", "type": "string", "default": "web"}
)
# Incompatible with v2 as a reader: amountCents became a string; a symbol v2 does not know.
REFUND_RETYPED = refund(["LATE", "BROKEN"], amount="string")
REFUND_V3 = refund(
    ["LATE", "BROKEN", "LOST", "STOLEN"], {"name": "channel", "type": "string", "default": "web"}
)

PRODUCE_REFUND = """
mutation($value: RefundInput!) { produceRefund(value: $value) { offset } }"""
REFUND_FIELDS = "id amountCents reason channel legacyNote"
REFUNDS = f"""
query {{ refunds(first: 40) {{
  edges {{ node {{ {ENVELOPE} value {{ {REFUND_FIELDS} }} }} }}
}} }}"""
SUBSCRIBE_REFUNDS = f"""
subscription {{ refunds(fromOffset: 0) {{ {ENVELOPE} value {{ {REFUND_FIELDS} }} }} }}"""


def confluent_value(schema_id: int, schema: dict[str, Any], value: dict[str, Any]) -> bytes:
    """What a Confluent serializer writes: magic byte 0, the schema id, then Avro binary."""
    body = io.BytesIO()
    body.write(struct.pack(">bI", 0, schema_id))
    fastavro.schemaless_writer(body, fastavro.parse_schema(schema), value)
    return body.getvalue()


def refund_value(number: int, reason: str, **fields: object) -> dict[str, Any]:
    return {"id": f"r-{number}", "amountCents": number * 100, "reason": reason, **fields}


async def test_avro_confluent_records_of_every_compatible_version_decode_into_the_latest(
    admin: AIOKafkaAdminClient,
    bootstrap: str,
    http: aiohttp.ClientSession,
    raw_producer: AIOKafkaProducer,
    registry_url: str,
) -> None:
    topic = await create_topic(admin, 1)
    subject = f"{topic}-value"
    v1_id = await register(registry_url, subject, REFUND_V1)
    rule = {
        "name": topic,
        "type": "Refund",
        "value_schema": "registry",
        "value_format": "avro-confluent",
    }
    async with typed_gateway(bootstrap, [rule], registry_url) as gateway:
        client = GraphQLClient(http, gateway.url)
        await client.data(PRODUCE_REFUND, {"value": refund_value(1, "LATE", legacyNote="old")})
        await client.data(PRODUCE_REFUND, {"value": refund_value(2, "BROKEN")})
    assert [raw[:5] for raw in await raw_records(bootstrap, topic, 2)] == [
        struct.pack(">bI", 0, v1_id)
    ] * 2

    v2_id = await register(registry_url, subject, REFUND_V2)
    kept = {
        "deprecated": {"Refund.legacyNote": "use channel"},
        "deprecated_types": {"Refund.legacyNote": "String"},
    }
    async with typed_gateway(bootstrap, [{**rule, **kept}], registry_url) as gateway:
        client = GraphQLClient(http, gateway.url)
        fields = (await described(client, "Refund"))["fields"]
        assert type_text(fields["channel"]) == "String!"
        assert (type_text(fields["legacyNote"]), fields["legacyNote"]["deprecationReason"]) == (
            "String",
            "use channel",
        )
        assert (await described(client, "Reason"))["enum"] == ["LATE", "BROKEN", "LOST"]
        # Producers that do not know `channel` yet can still write: the default fills it in.
        assert type_text((await described(client, "RefundInput"))["fields"]["channel"]) == "String"
        await client.data(PRODUCE_REFUND, {"value": refund_value(3, "LOST", channel="app")})
        assert (await raw_records(bootstrap, topic, 3))[2][:5] == struct.pack(">bI", 0, v2_id)

        # Other producers: a schema v2 cannot read, a newer enum symbol, an id nobody registered.
        other = f"{topic}-other-value"
        retyped_id = await register(registry_url, other, REFUND_RETYPED)
        v3_id = await register(registry_url, other, REFUND_V3)
        incompatible = [
            (
                confluent_value(
                    retyped_id, REFUND_RETYPED, refund_value(4, "LATE", amountCents="4")
                ),
                "not Avro of this topic's schema",
            ),
            (
                confluent_value(v3_id, REFUND_V3, refund_value(5, "STOLEN", channel="web")),
                "STOLEN not found in reader symbol list",
            ),
            (struct.pack(">bI", 0, UNKNOWN_ID) + b"\x02x", f"schema id {UNKNOWN_ID} is not in"),
        ]
        for raw, _reason in incompatible:
            await raw_producer.send_and_wait(topic, raw)
        await client.data(PRODUCE_REFUND, {"value": refund_value(6, "LATE")})

        expected: list[dict[str, Any] | None] = [
            # v1 records read into v2: the added field's default, the kept field as written.
            refund_value(1, "LATE", channel="web", legacyNote="old"),
            refund_value(2, "BROKEN", channel="web", legacyNote=None),
            refund_value(3, "LOST", channel="app", legacyNote=None),
            None,
            None,
            None,
            refund_value(6, "LATE", channel="web", legacyNote=None),
        ]
        nodes = [e["node"] for e in (await client.data(REFUNDS))["refunds"]["edges"]]
        assert [n["value"] for n in nodes] == expected
        for node, (_raw, reason) in zip(nodes[3:6], incompatible, strict=True):
            assert any(reason in error for error in node["schemaErrors"]), node["schemaErrors"]

        for protocol in PROTOCOLS:
            async with client.subscribe(SUBSCRIBE_REFUNDS, {}, protocol) as sub:
                replayed = await sub.take(len(expected), "refunds")
                assert [m["value"] for m in replayed] == expected
                # Live: a bad record between good ones.
                await client.data(PRODUCE_REFUND, {"value": refund_value(7, "LOST")})
                await raw_producer.send_and_wait(topic, incompatible[0][0])
                await client.data(PRODUCE_REFUND, {"value": refund_value(8, "LATE")})
                live = await sub.take(3, "refunds")
            assert live[0]["value"]["id"] == "r-7" and live[2]["value"]["id"] == "r-8"
            assert live[1]["value"] is None and live[1]["schemaErrors"]
            expected += [live[0]["value"], None, live[2]["value"]]


# Plain Avro: the bytes do not say which schema wrote them.

PARCEL_V1: dict[str, Any] = {
    "type": "record",
    "name": "Parcel",
    "fields": [{"name": "id", "type": "string"}, {"name": "grams", "type": "long"}],
}
PARCEL_V2: dict[str, Any] = {
    **PARCEL_V1,
    "fields": [*PARCEL_V1["fields"], {"name": "note", "type": ["null", "string"], "default": None}],
}
PRODUCE_PARCEL = "mutation($v: ParcelInput!) { produceParcel(value: $v) { offset } }"


async def parcels(client: GraphQLClient, fields: str) -> list[dict[str, Any]]:
    query = f"query {{ parcels {{ edges {{ node {{ {ENVELOPE} value {{ {fields} }} }} }} }} }}"
    return [e["node"] for e in (await client.data(query))["parcels"]["edges"]]


async def test_plain_avro_records_of_another_schema_version_arrive_with_schema_errors(
    admin: AIOKafkaAdminClient, bootstrap: str, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    topic = await create_topic(admin, 1)
    v1 = {
        "name": topic,
        "type": "Parcel",
        "value_schema": schema_file(tmp_path, "v1.avsc", PARCEL_V1),
        "value_format": "avro",
    }
    v2 = {**v1, "value_schema": schema_file(tmp_path, "v2.avsc", PARCEL_V2)}
    async with typed_gateway(bootstrap, [v1]) as gateway:
        await GraphQLClient(http, gateway.url).data(
            PRODUCE_PARCEL, {"v": {"id": "p-1", "grams": 5}}
        )

    # v2 reads v1's bytes to their end before its value is complete.
    async with typed_gateway(bootstrap, [v2]) as gateway:
        client = GraphQLClient(http, gateway.url)
        await client.data(PRODUCE_PARCEL, {"v": {"id": "p-2", "grams": 7, "note": "fragile"}})
        old, new = await parcels(client, "id grams note")
        assert old["value"] is None
        assert old["schemaErrors"] == [
            "not Avro of this topic's schema: the bytes end before the value does"
        ]
        assert (new["value"], new["schemaErrors"]) == (
            {"id": "p-2", "grams": 7, "note": "fragile"},
            [],
        )

    # Back to v1 (a rollback, or a writer that never moved): v2's bytes do not end with its value.
    # Reading them as v1 "works" but cannot be trusted, so it is not served.
    async with typed_gateway(bootstrap, [v1]) as gateway:
        old, new = await parcels(GraphQLClient(http, gateway.url), "id grams")
        assert (old["value"], old["schemaErrors"]) == ({"id": "p-1", "grams": 5}, [])
        assert new["value"] is None
        assert new["schemaErrors"] == [
            "not Avro of this topic's schema: 9 bytes left over after the value"
        ]


# JSON Schema from the registry: the schema is the subject's latest; values are plain JSON.

SHIPMENT_V2: dict[str, Any] = {
    **SHIPMENT,
    "properties": {**SHIPMENT["properties"], "grams": {"type": "integer", "minimum": 0}},
}
SHIPMENT_FIELDS = "id carrier grams"
SHIPMENTS = f"""
query {{ shipments {{ edges {{ node {{ {ENVELOPE} value {{ {SHIPMENT_FIELDS} }} }} }} }} }}"""
PRODUCE_SHIPMENT = "mutation($v: ShipmentInput!) { produceShipment(value: $v) { offset } }"


async def test_a_registry_json_schema_topic_evolves_with_its_subject(
    admin: AIOKafkaAdminClient,
    bootstrap: str,
    http: aiohttp.ClientSession,
    raw_producer: AIOKafkaProducer,
    registry_url: str,
) -> None:
    topic = await create_topic(admin, 1)
    subject = f"{topic}-value"
    v1_id = await register(registry_url, subject, SHIPMENT, schema_type="JSON")
    rule = {"name": topic, "type": "Shipment", "value_schema": "registry", "value_format": "json"}
    async with typed_gateway(bootstrap, [rule], registry_url) as gateway:
        client = GraphQLClient(http, gateway.url)
        assert "grams" not in (await described(client, "Shipment"))["fields"]
        await client.data(PRODUCE_SHIPMENT, {"v": {"id": "s-1", "carrier": "post"}})
    # `json` values are plain JSON: no Confluent header, the schema id is not in the bytes.
    (raw,) = await raw_records(bootstrap, topic, 1)
    assert json.loads(raw) == {"id": "s-1", "carrier": "post"}

    v2_id = await register(registry_url, subject, SHIPMENT_V2, schema_type="JSON")
    assert v2_id != v1_id
    async with typed_gateway(bootstrap, [rule], registry_url) as gateway:
        client = GraphQLClient(http, gateway.url)
        assert type_text((await described(client, "Shipment"))["fields"]["grams"]) == "Long"
        await client.data(PRODUCE_SHIPMENT, {"v": {"id": "s-2", "grams": 250}})
        # What Confluent's JSON Schema serializer writes (magic byte, id, JSON) is not `json`.
        framed = struct.pack(">bI", 0, v2_id) + json.dumps({"id": "s-3"}).encode()
        await raw_producer.send_and_wait(topic, framed)
        nodes = [e["node"] for e in (await client.data(SHIPMENTS))["shipments"]["edges"]]
        assert [n["value"] for n in nodes] == [
            {"id": "s-1", "carrier": "post", "grams": None},
            {"id": "s-2", "carrier": None, "grams": 250},
            None,
        ]
        assert nodes[0]["schemaErrors"] == nodes[1]["schemaErrors"] == []
        assert "not UTF-8 JSON" in nodes[2]["schemaErrors"][0]
