"""Every way typed topics fail start-up: a configuration, its schema files, and what the message
must name. test_startup_failures.py runs each through `kafka-graphql schema` and keeps the exact
messages in tests/fixtures/sdl/startup-failures.txt.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

ORDER_SCHEMA = "schemas/order.schema.json"
PAYMENT_SCHEMA = "schemas/payment.avsc"


@dataclass(frozen=True)
class Case:
    title: str
    # Path (relative to the configuration's folder) -> text.
    files: dict[str, str]
    # The `[[topics]]` of kafka-graphql.toml.
    config: str
    # What the message must name, besides the exact text kept in the snapshot.
    names: tuple[str, ...] = ()
    # Marks the cases of two generated names that would mean different things.
    clash: bool = field(default=False, kw_only=True)


def obj(*required: str, **properties: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


def titled(title: str, **properties: Any) -> dict[str, Any]:
    return {"title": title, **obj(**properties)}


STRING = {"type": "string"}


def order_topic(name: str = "shop.orders", type_: str = "Order", **extra: str) -> str:
    lines = ["[[topics]]", f'name = "{name}"', f'type = "{type_}"']
    lines += [f'{key} = "{value}"' for key, value in extra.items()]
    if "value_schema" not in extra:
        lines.append(f'value_schema = "{ORDER_SCHEMA}"')
    return "\n".join(lines) + "\n"


def json_case(title: str, schema: object, *names: str, draft7: bool = False) -> Case:
    """One JSON Schema topic (shop.orders, type Order) whose schema is `schema`."""
    if isinstance(schema, dict) and draft7:
        schema = {"$schema": "http://json-schema.org/draft-07/schema#", **schema}
    return Case(
        title,
        {ORDER_SCHEMA: json.dumps(schema)},
        order_topic(),
        ("shop.orders", ORDER_SCHEMA, *names),
    )


def avro_case(title: str, fields: list[dict[str, Any]], *names: str) -> Case:
    """One Avro topic (shop.payments, type Payment) whose record has `fields`."""
    schema = {"type": "record", "name": "PaymentRecord", "fields": fields}
    return Case(
        title,
        {PAYMENT_SCHEMA: json.dumps(schema)},
        order_topic("shop.payments", "Payment", value_schema=PAYMENT_SCHEMA, value_format="avro"),
        ("shop.payments", PAYMENT_SCHEMA, *names),
    )


def two_topics(
    title: str, a: dict[str, Any], b: dict[str, Any], *names: str, b_type: str = "Order"
) -> Case:
    """Topic shop.customers (type Customer) with schema `a` and shop.orders with schema `b`."""
    return Case(
        title,
        {"schemas/customer.schema.json": json.dumps(a), ORDER_SCHEMA: json.dumps(b)},
        order_topic("shop.customers", "Customer", value_schema="schemas/customer.schema.json")
        + "\n"
        + order_topic(type_=b_type),
        ("shop.customers", "shop.orders", *names),
        clash=True,
    )


def clash(title: str, schema: dict[str, Any], *names: str, **topic: str) -> Case:
    """One JSON Schema topic, shop.orders, one of whose names clashes."""
    return Case(
        title,
        {ORDER_SCHEMA: json.dumps(schema)},
        order_topic(**topic),
        ("shop.orders", *names),
        clash=True,
    )


SIMPLE = obj("id", id=STRING)

JSON_SCHEMA_CASES = [
    json_case(
        "oneOf of objects without a discriminator",
        obj(pay={"oneOf": [obj(card=STRING), obj(iban=STRING)]}),
        "/properties/pay/oneOf",
        "discriminator",
    ),
    json_case(
        "anyOf whose tag property is not required in every member",
        obj(
            pay={
                "anyOf": [
                    obj("kind", kind={"const": "card"}, last4=STRING),
                    obj(kind={"const": "cash"}),
                ]
            }
        ),
        "/properties/pay/anyOf",
        '"anyOf" of objects needs a discriminator',
    ),
    json_case(
        "oneOf of scalars",
        obj(id={"oneOf": [STRING, {"type": "integer"}]}),
        "/properties/id/oneOf",
        '"oneOf" of anything but objects',
    ),
    json_case(
        "tuple items (prefixItems)",
        obj(point={"type": "array", "prefixItems": [{"type": "number"}, {"type": "number"}]}),
        "/properties/point",
        '"prefixItems"',
    ),
    json_case(
        "tuple items (draft-07 items array)",
        obj(point={"type": "array", "items": [{"type": "number"}, {"type": "number"}]}),
        "/properties/point",
        '"items" as an array',
        draft7=True,
    ),
    json_case(
        "an items array in draft 2020-12 (not valid there)",
        obj(point={"type": "array", "items": [{"type": "number"}]}),
        "/properties/point/items",
        "not a valid JSON Schema",
    ),
    *(
        json_case(
            f"{keyword}",
            obj(a={"type": "object", keyword: value}),
            "/properties/a",
            f'"{keyword}" is not supported',
            draft7=keyword in ("dependencies", "additionalItems"),
        )
        for keyword, value in [
            ("patternProperties", {"^x-": STRING}),
            ("allOf", [obj(b=STRING)]),
            ("not", obj(b=STRING)),
            ("dependentSchemas", {"b": obj(c=STRING)}),
            ("dependencies", {"b": ["c"]}),
            ("contains", STRING),
            ("propertyNames", {"pattern": "^[a-z]+$"}),
            ("unevaluatedProperties", False),
            ("unevaluatedItems", False),
            ("additionalItems", False),
            ("$dynamicRef", "#node"),
        ]
    ),
    json_case(
        "if/then/else",
        obj(a={"if": obj(b={"const": 1}), "then": obj(c=STRING), "else": obj(d=STRING)}),
        "/properties/a",
        '"if" is not supported',
    ),
    json_case(
        "$recursiveRef (2019-09, in a 2020-12 schema)",
        obj(a={"$recursiveRef": "#"}),
        "/properties/a",
        '"$recursiveRef" is not supported',
    ),
    json_case(
        "a value of several types",
        obj(id={"type": ["string", "integer"]}),
        "/properties/id",
        "several types",
    ),
    json_case(
        "an enum of numbers",
        obj(size={"enum": [1, 2, 3]}),
        "/properties/size",
        "only enums of strings",
    ),
    json_case(
        "an enum value with a space",
        obj(status={"enum": ["PLACED", "in progress"]}),
        "/properties/status",
        "'in progress'",
    ),
    json_case(
        "an enum value starting with a digit",
        obj(size={"enum": ["S", "M", "2XL"]}),
        "/properties/size",
        "'2XL'",
    ),
    json_case(
        "an enum value GraphQL reserves",
        obj(answer={"enum": ["true", "false", "unknown"]}),
        "/properties/answer",
        "'true'",
    ),
    json_case(
        "a property name that is not a GraphQL name",
        obj(**{"order-id": STRING}),
        "/properties/order-id",
        "'order-id'",
    ),
    json_case(
        "a title that is not a GraphQL name",
        obj(customer=titled("Shop Customer", name=STRING)),
        "/properties/customer",
        "'Shop Customer'",
    ),
    json_case(
        "$ref to another file",
        obj(customer={"$ref": "customer.schema.json#/$defs/customer"}),
        "/properties/customer",
        "another document",
    ),
    json_case(
        "$ref to a URL",
        obj(address={"$ref": "https://example.com/schemas/address.json"}),
        "/properties/address",
        "another document",
    ),
    json_case(
        "$ref to nothing",
        obj(customer={"$ref": "#/$defs/customer"}),
        "/properties/customer",
        "points to nothing",
    ),
    json_case(
        "$ref to something that is not a schema",
        {**obj("id", id=STRING, copy={"$ref": "#/required"})},
        "/properties/copy",
        "does not point to a schema object",
    ),
    json_case(
        "a property schema that accepts nothing",
        obj(never=False),
        "/properties/never",
        "accepts nothing",
    ),
    json_case(
        "a root that is not an object",
        {"type": "array", "items": STRING},
        "at /",
        "the root must be an object",
    ),
    json_case("a schema that is not a JSON object", [SIMPLE], "at /", "must be a JSON object"),
    json_case(
        "draft-04",
        {"$schema": "http://json-schema.org/draft-04/schema#", **SIMPLE},
        "/$schema",
        "2020-12 and draft-07",
    ),
    json_case(
        "a title given to two different objects",
        obj(billing=titled("Address", city=STRING), shipping=titled("Address", street=STRING)),
        "/properties/shipping",
        "Address",
        "/properties/billing",
    ),
    json_case(
        "a title given to an object and to one nested inside it",
        obj(node=titled("Node", child=titled("Node", leaf=STRING))),
        "/properties/node/properties/child",
        "Node",
    ),
    json_case(
        "an object titled like a parent + property name",
        obj(customer=obj(name=STRING), other=titled("OrderCustomer", x=STRING)),
        "/properties/other",
        "OrderCustomer",
        "/properties/customer",
    ),
]

AVRO_CASES = [
    avro_case(
        "logicalType decimal",
        [
            {
                "name": "amount",
                "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2},
            }
        ],
        "PaymentRecord.amount",
        '"decimal"',
    ),
    avro_case(
        "logicalType date",
        [{"name": "day", "type": {"type": "int", "logicalType": "date"}}],
        "PaymentRecord.day",
        '"date"',
    ),
    avro_case(
        "logicalType time-millis",
        [{"name": "at", "type": {"type": "int", "logicalType": "time-millis"}}],
        "PaymentRecord.at",
        '"time-millis"',
    ),
    avro_case(
        "logicalType local-timestamp-millis",
        [{"name": "at", "type": {"type": "long", "logicalType": "local-timestamp-millis"}}],
        "PaymentRecord.at",
        '"local-timestamp-millis"',
    ),
    avro_case(
        "a union of scalars",
        [{"name": "ref", "type": ["null", "string", "long"]}],
        "PaymentRecord.ref",
        "union of anything but records",
    ),
    avro_case(
        "a union of a record and a scalar",
        [
            {
                "name": "method",
                "type": [{"type": "record", "name": "Card", "fields": []}, "string"],
            }
        ],
        "PaymentRecord.method",
        "union of anything but records",
    ),
    avro_case(
        'a lone "null"',
        [{"name": "nothing", "type": "null"}],
        "PaymentRecord.nothing",
        '"null"',
    ),
    avro_case(
        "an enum symbol GraphQL reserves",
        [{"name": "answer", "type": {"type": "enum", "name": "Answer", "symbols": ["null", "X"]}}],
        "PaymentRecord.answer",
        "Answer",
        "'null'",
    ),
    avro_case(
        "an enum symbol Avro refuses",
        [{"name": "s", "type": {"type": "enum", "name": "S", "symbols": ["in progress"]}}],
        "not a valid Avro schema",
    ),
    avro_case(
        "a field name that is not a GraphQL name",
        [{"name": "__typename", "type": "string"}],
        "PaymentRecord.__typename",
        "'__typename'",
    ),
    avro_case(
        "a field name used twice",
        [{"name": "id", "type": "string"}, {"name": "id", "type": "long"}],
        "PaymentRecord.id",
        "appears twice",
    ),
    avro_case(
        "a record name that is not a GraphQL name",
        [{"name": "payer", "type": {"type": "record", "name": "__Payer", "fields": []}}],
        "__Payer",
    ),
    avro_case(
        "an unknown named type",
        [{"name": "payer", "type": "com.shop.Payer"}],
        "not a valid Avro schema",
        "com.shop.Payer",
    ),
    avro_case(
        "two records with one name in two namespaces",
        [
            {
                "name": "from",
                "type": {
                    "type": "record",
                    "name": "Account",
                    "namespace": "bank",
                    "fields": [{"name": "iban", "type": "string"}],
                },
            },
            {
                "name": "to",
                "type": {
                    "type": "record",
                    "name": "Account",
                    "namespace": "card",
                    "fields": [{"name": "pan", "type": "string"}],
                },
            },
        ],
        "card.Account",
        "bank.Account",
    ),
    Case(
        "a top-level type that is not a record",
        {PAYMENT_SCHEMA: json.dumps({"type": "array", "items": "string"})},
        order_topic("shop.payments", "Payment", value_schema=PAYMENT_SCHEMA, value_format="avro"),
        ("shop.payments", PAYMENT_SCHEMA, "must be a record"),
    ),
]

FILE_AND_SETTINGS_CASES = [
    Case(
        "a missing schema file",
        {},
        order_topic(),
        ("topics[0].value_schema", "shop.orders", ORDER_SCHEMA, "does not exist"),
    ),
    Case(
        "a schema file that is not JSON",
        {ORDER_SCHEMA: '{"type": "object", "properties": {"id": {"type": "string"},}}'},
        order_topic(),
        ("shop.orders", ORDER_SCHEMA, "not valid JSON"),
    ),
    Case(
        "an Avro schema file that is not JSON",
        {PAYMENT_SCHEMA: "record Payment { string id; }"},
        order_topic("shop.payments", "Payment", value_schema=PAYMENT_SCHEMA, value_format="avro"),
        ("shop.payments", PAYMENT_SCHEMA, "not valid JSON"),
    ),
    Case(
        "deprecated names a type the schema does not have",
        {ORDER_SCHEMA: json.dumps(SIMPLE)},
        order_topic() + '[topics.deprecated]\n"Customer.email" = "use contact"\n',
        ("shop.orders", ORDER_SCHEMA, "Customer.email"),
    ),
    Case(
        "a type that is not a GraphQL name",
        {ORDER_SCHEMA: json.dumps(SIMPLE)},
        order_topic(type_="Shop Order"),
        ("topics[0].type", "'Shop Order'"),
    ),
    Case(
        "an Avro schema read as JSON values",
        {PAYMENT_SCHEMA: json.dumps({"type": "record", "name": "P", "fields": []})},
        order_topic("shop.payments", "Payment", value_schema=PAYMENT_SCHEMA),
        ("topics[0].value_schema", "value_format"),
    ),
    Case(
        'value_schema = "registry" without a registry',
        {},
        order_topic(value_schema="registry"),
        ("topics[0].value_schema", "schema_registry.url"),
    ),
    Case(
        "avro-confluent from a file",
        {PAYMENT_SCHEMA: json.dumps({"type": "record", "name": "P", "fields": []})},
        order_topic(
            "shop.payments", "Payment", value_schema=PAYMENT_SCHEMA, value_format="avro-confluent"
        ),
        ("topics[0].value_format", "avro-confluent", "registry"),
    ),
    Case(
        "two topics with one type",
        {ORDER_SCHEMA: json.dumps(SIMPLE)},
        order_topic() + "\n" + order_topic("shop.orders.eu", field="ordersEu"),
        ("topics[1].type", "'Order'", "topics[0]"),
    ),
    Case(
        "two topics with one field",
        {ORDER_SCHEMA: json.dumps(SIMPLE)},
        order_topic() + "\n" + order_topic("shop.orders.eu", "EuOrder", field="orders"),
        ("topics[1].field", "'orders'", "topics[0]"),
    ),
]

ADDRESS = titled("Address", city=STRING)
CUSTOMER = obj("name", name=STRING)

CLASH_CASES = [
    two_topics(
        "two topics give one type name two shapes",
        obj(home=ADDRESS),
        obj(shipping=titled("Address", street=STRING)),
        "Address",
        "/properties/home",
        "/properties/shipping",
    ),
    two_topics(
        "a root type and another topic's nested type of one name: their wheres differ",
        CUSTOMER,
        obj(customer={"title": "Customer", **CUSTOMER}),
        "CustomerWhere",
        "/properties/customer",
        "`key`",
    ),
    two_topics(
        "a nested type named like another topic's <Type>Input",
        CUSTOMER,
        obj(draft=titled("CustomerInput", note=STRING)),
        "CustomerInput",
        "/properties/draft",
    ),
    two_topics(
        "a nested type named like another topic's <Type>Message",
        CUSTOMER,
        obj(last=titled("CustomerMessage", text=STRING)),
        "CustomerMessage",
    ),
    two_topics(
        "a nested type named like another topic's <Type>Connection",
        CUSTOMER,
        obj(link=titled("CustomerConnection", url=STRING)),
        "CustomerConnection",
    ),
    two_topics(
        "a nested type named like another topic's <Type>Edge",
        CUSTOMER,
        obj(edge=titled("CustomerEdge", side=STRING)),
        "CustomerEdge",
    ),
    two_topics(
        "a nested type named like another topic's <Type>MessageInput",
        CUSTOMER,
        obj(draft=titled("CustomerMessageInput", text=STRING)),
        "CustomerMessageInput",
    ),
    two_topics(
        "a nested type named like another topic's <Enum>Filter",
        obj(tier={"title": "Tier", "enum": ["GOLD", "SILVER"]}),
        obj(discount=titled("TierFilter", percent={"type": "number"})),
        "TierFilter",
    ),
    two_topics(
        "a nested type named like another topic's <Item>ListWhere",
        obj(lines={"type": "array", "items": titled("Line", sku=STRING)}),
        obj(batch=titled("LineListWhere", size={"type": "integer"})),
        "LineListWhere",
    ),
    clash(
        "a nested type named like its own topic's <Type>Message",
        obj(message=titled("OrderMessage", text=STRING)),
        "OrderMessage",
        "/properties/message",
    ),
    clash(
        "a list of a type and a type named <Type>List in one topic: two <Type>ListWhere",
        obj(
            lines={"type": "array", "items": titled("Line", sku=STRING)},
            bundle=titled("LineList", count={"type": "integer"}),
        ),
        "LineListWhere",
    ),
    *(
        clash(
            f"a nested type named like the gateway's {name}",
            obj(thing=titled(name, x=STRING)),
            name,
            "/properties/thing",
        )
        for name in ("PageInfo", "ProduceResult", "HeaderInput", "StringFilter", "Message")
    ),
    *(
        clash(
            f"an enum named like the gateway's scalar {name}",
            obj(thing={"title": name, "enum": ["A", "B"]}),
            name,
            "/properties/thing",
        )
        for name in ("JSON", "Long", "DateTime", "Cursor", "String")
    ),
    *(
        clash(f"type = {name!r}", SIMPLE, name, type_=name)
        for name in ("Topic", "Message", "Partition")
    ),
    clash("type = 'Header' (its input would be HeaderInput)", SIMPLE, "Header", type_="Header"),
    *(
        clash(f"field = {field!r}", SIMPLE, field, f'field = "{field}"', field=field)
        for field in ("messages", "topics", "topic")
    ),
    clash("type = 'Batch' (produceBatch)", SIMPLE, "Mutation.produceBatch", type_="Batch"),
    clash("field = 'batch' (produceBatch)", SIMPLE, "Mutation.produceBatch", field="batch"),
    clash(
        "type = 'Series', field = 'series': produceSeries twice",
        SIMPLE,
        "Mutation.produceSeries",
        type_="Series",
        field="series",
    ),
    Case(
        "field = 'orders' and another topic's type = 'Orders': produceOrders twice",
        {"schemas/customer.schema.json": json.dumps(SIMPLE), ORDER_SCHEMA: json.dumps(SIMPLE)},
        order_topic(
            "shop.customers",
            "Customer",
            field="orders",
            value_schema="schemas/customer.schema.json",
        )
        + "\n"
        + order_topic(type_="Orders"),
        ("shop.customers", "shop.orders", "Mutation.produceOrders"),
        clash=True,
    ),
]

CASES = [*JSON_SCHEMA_CASES, *AVRO_CASES, *FILE_AND_SETTINGS_CASES, *CLASH_CASES]
