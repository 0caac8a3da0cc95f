"""Record-level rules by a value path, on the real gateway with real tokens: a typed JSON topic
(typed and generic API), a generic JSON topic, and an Avro topic in Confluent's format whose
records may need a writer schema fetched before their owner is known."""

from __future__ import annotations

import asyncio
import io
import json
import os
import struct
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import fastavro
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer

from tests.clients import LEGACY_WS, TRANSPORT_WS, GraphQLClient
from tests.integration.auth import (  # noqa: F401 (a fixture)
    ADMIN,
    auth_settings,
    create_topic,
    end_offsets,
    key_files_fixture,
)
from tests.integration.conftest import RunningGateway, run_gateway
from tests.integration.helpers import PRODUCE, PRODUCE_BATCH, SUBSCRIBE, history
from tests.integration.records import READ_WRITE, nothing_more, raw_records
from tests.integration.test_schema_registry import register
from tests.tokens import claims, rsa_pair

RSA = rsa_pair()
RUN = uuid.uuid4().hex[:8]
INVOICES_TOPIC = f"test-records-invoices-{RUN}"
RULE = {"value": "customer.tenantId", "claim": "tenant"}
PROTOCOLS = [TRANSPORT_WS, LEGACY_WS]
INVOICE_SCHEMA = {
    "type": "object",
    "required": ["id", "customer"],
    "properties": {
        "id": {"type": "string"},
        "customer": {
            "type": "object",
            "required": ["tenantId"],
            "properties": {"tenantId": {"type": "string"}, "name": {"type": "string"}},
        },
    },
}
WRONG_VALUE = "the value's customer.tenantId must be the token's 'tenant' claim"

INVOICES = """
query($where: InvoiceWhere) {
  invoices(first: 100, where: $where) {
    edges { node { value { id customer { tenantId } } rawValue schemaErrors } }
    pageInfo { hasNextPage }
  }
}"""
INVOICES_STREAM = """
subscription($where: InvoiceWhere) { invoices(where: $where) { value { id } } }"""
PRODUCE_INVOICE = "mutation($v: InvoiceInput!) { produceInvoice(value: $v) { offset } }"
PRODUCE_INVOICES = """
mutation($messages: [InvoiceMessageInput!]!) { produceInvoices(messages: $messages) { offset } }"""


def invoice(invoice_id: str, tenant: str) -> dict[str, Any]:
    return {"id": invoice_id, "customer": {"tenantId": tenant, "name": "Ada"}}


@pytest_asyncio.fixture(scope="module")
async def gateway(
    bootstrap: str, key_files: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RunningGateway]:
    schema = tmp_path_factory.mktemp("schemas") / "invoice.schema.json"
    schema.write_text(json.dumps(INVOICE_SCHEMA))
    topics: list[dict[str, Any]] = [
        {
            "name": INVOICES_TOPIC,
            "partitions": 1,
            "type": "Invoice",
            "value_schema": str(schema),
            "records": RULE,
        },
        {"name": "test-vtenants-*", "records": {"value": "tenant", "claim": "tenant"}},
        {"name": "test-*"},
    ]
    async with run_gateway(auth_settings(bootstrap, key_files[0], topics=topics)) as running:
        yield running


@pytest.fixture
def caller(gateway: RunningGateway, http: aiohttp.ClientSession) -> Any:
    def client(tenant: str | None, scope: str = READ_WRITE) -> GraphQLClient:
        return GraphQLClient(http, gateway.url, RSA.sign(claims(scope=scope, tenant=tenant)))

    return client


async def refused(client: GraphQLClient, query: str, variables: dict[str, Any]) -> list[Any]:
    body = await client.post(query, variables)
    assert body["data"] is None, body
    return [(e["extensions"]["code"], e["message"]) for e in body["errors"]]


async def test_typed_writes_must_carry_the_claim_at_the_path(caller: Any, bootstrap: str) -> None:
    acme = caller("acme")
    before = await end_offsets(bootstrap, INVOICES_TOPIC)
    assert await refused(acme, PRODUCE_INVOICE, {"v": invoice("i-1", "globex")}) == [
        ("FORBIDDEN", WRONG_VALUE)
    ]
    batch = [{"value": invoice("i-2", "acme")}, {"value": invoice("i-3", "globex")}]
    assert await refused(acme, PRODUCE_INVOICES, {"messages": batch}) == [
        ("FORBIDDEN", f"messages[1]: {WRONG_VALUE}")
    ]
    # The generic API writes the typed topic under the same rule.
    generic = {"topic": INVOICES_TOPIC, "value": invoice("i-4", "globex")}
    assert await refused(acme, PRODUCE, generic) == [("FORBIDDEN", WRONG_VALUE)]
    # A tenant header does not make a value someone else's.
    headers = [{"key": "tenant", "value": "acme"}]
    assert await refused(acme, PRODUCE, {**generic, "headers": headers}) == [
        ("FORBIDDEN", WRONG_VALUE)
    ]
    assert await end_offsets(bootstrap, INVOICES_TOPIC) == before
    await acme.data(PRODUCE_INVOICE, {"v": invoice("i-5", "acme")})
    assert await end_offsets(bootstrap, INVOICES_TOPIC) == {0: before[0] + 1}
    # Nothing is stamped: the value says whose the record is.
    (written,) = [r for r in await raw_records(bootstrap, INVOICES_TOPIC) if r.offset == before[0]]
    assert (written.value, written.headers) == (invoice("i-5", "acme"), [])


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_two_tenants_on_a_typed_topic_with_a_value_rule(
    caller: Any,
    gateway: RunningGateway,
    raw_producer: AIOKafkaProducer,
    protocol: str,
) -> None:
    prefix = uuid.uuid4().hex[:8]
    where = {"id": {"startsWith": prefix}}
    acme, globex = caller("acme"), caller("globex")
    live = gateway.kafka.live
    to_acme = acme.subscribe(INVOICES_STREAM, {"where": where}, protocol)
    to_globex = globex.subscribe(INVOICES_STREAM, {"where": where}, protocol)
    async with to_acme as acme_stream, to_globex as globex_stream:
        await asyncio.wait_for(
            live.wait_until(lambda: live.subscriber_count(INVOICES_TOPIC) >= 2), 30
        )
        for n in range(4):
            await acme.data(PRODUCE_INVOICE, {"v": invoice(f"{prefix}-a{n}", "acme")})
            batch = [{"value": invoice(f"{prefix}-g{n}", "globex")}]
            await globex.data(PRODUCE_INVOICES, {"messages": batch})
        # Past the gateway: a number where the schema wants text (invalid, yet still acme's by
        # its value), and a record of nobody's.
        invalid = {"id": f"{prefix}-raw", "customer": {"tenantId": "acme", "name": 1}}
        await raw_producer.send_and_wait(INVOICES_TOPIC, json.dumps(invalid).encode())
        nobody = {"id": f"{prefix}-nobody", "customer": {"name": "?"}}
        await raw_producer.send_and_wait(INVOICES_TOPIC, json.dumps(nobody).encode())
        await acme.data(PRODUCE_INVOICE, {"v": invoice(f"{prefix}-end", "acme")})
        await globex.data(PRODUCE_INVOICE, {"v": invoice(f"{prefix}-end", "globex")})
        acme_seen = await acme_stream.take(5, "invoices")
        globex_seen = await globex_stream.take(5, "invoices")
        if protocol == TRANSPORT_WS:
            await nothing_more(acme_stream)
            await nothing_more(globex_stream)
    # The invalid record has no typed value (the subscription filters on it with `where`, so
    # it is left out here; the query below shows it with its schema errors).
    assert [m["value"]["id"] for m in acme_seen] == [
        *(f"{prefix}-a{n}" for n in range(4)),
        f"{prefix}-end",
    ]
    assert [m["value"]["id"] for m in globex_seen] == [
        *(f"{prefix}-g{n}" for n in range(4)),
        f"{prefix}-end",
    ]
    # The typed query shows the invalid record too (no value, its schema errors), judged by
    # its value as the generic API shows it (`rawValue`).
    nodes = [e["node"] for e in (await acme.data(INVOICES, {}))["invoices"]["edges"]]
    assert all(n["rawValue"]["customer"]["tenantId"] == "acme" for n in nodes)
    mine = [n for n in nodes if n["rawValue"]["id"].startswith(prefix)]
    assert [n["rawValue"]["id"] for n in mine] == [
        *(f"{prefix}-a{n}" for n in range(4)),
        f"{prefix}-raw",
        f"{prefix}-end",
    ]
    assert mine[4]["value"] is None and mine[4]["schemaErrors"]
    # The generic API on the typed topic: the same records.
    page = await history(
        globex, INVOICES_TOPIC, limit=50, filter={"value": [{"path": "id", "contains": prefix}]}
    )
    assert [m["value"]["id"] for m in page["messages"]] == [
        *(f"{prefix}-g{n}" for n in range(4)),
        f"{prefix}-end",
    ]
    everything = await history(
        caller(None, ADMIN),
        INVOICES_TOPIC,
        limit=50,
        filter={"value": [{"path": "id", "contains": prefix}]},
    )
    assert len(everything["messages"]) == 12


async def test_a_value_rule_on_a_generic_json_topic(
    caller: Any, admin: Any, bootstrap: str
) -> None:
    topic = f"test-vtenants-{uuid.uuid4().hex[:12]}"
    await create_topic(admin, topic)
    acme, globex = caller("acme"), caller("globex")
    wrong = "the value's tenant must be the token's 'tenant' claim"
    for value in ({"tenant": "globex"}, {"n": 1}, {"tenant": None}, "acme", 42):
        assert await refused(acme, PRODUCE, {"topic": topic, "value": value}) == [
            ("FORBIDDEN", wrong)
        ]
    batch = [{"value": {"tenant": "acme"}}, {"value": {"tenant": "globex"}}]
    assert await refused(acme, PRODUCE_BATCH, {"topic": topic, "messages": batch}) == [
        ("FORBIDDEN", f"messages[1]: {wrong}")
    ]
    assert await end_offsets(bootstrap, topic) == {0: 0}
    for n in range(3):
        await acme.data(PRODUCE, {"topic": topic, "value": {"tenant": "acme", "n": n}})
        await globex.data(PRODUCE, {"topic": topic, "value": {"tenant": "globex", "n": n}})
    # From the topic's start: the replay hands over to the live feed with the rule on both.
    async with acme.subscribe(SUBSCRIBE, {"topic": topic, "fromOffset": 0}) as stream:
        replayed = await stream.take(3)
        for n in range(3, 5):
            await globex.data(PRODUCE, {"topic": topic, "value": {"tenant": "globex", "n": n}})
            await acme.data(PRODUCE, {"topic": topic, "value": {"tenant": "acme", "n": n}})
        live = await stream.take(2)
        await nothing_more(stream)
    assert [m["value"] for m in replayed + live] == [{"tenant": "acme", "n": n} for n in range(5)]
    assert all(m["headers"] == [] for m in replayed + live)
    page = await history(globex, topic)
    assert [m["value"]["n"] for m in page["messages"]] == list(range(5))
    assert len(await raw_records(bootstrap, topic)) == 10


def bill_schema(*extra: dict[str, Any]) -> dict[str, Any]:
    customer = {
        "type": "record",
        "name": "BillCustomer",
        "fields": [{"name": "tenantId", "type": "string"}],
    }
    return {
        "type": "record",
        "name": "Bill",
        "fields": [
            {"name": "id", "type": "string"},
            {"name": "customer", "type": customer},
            *extra,
        ],
    }


def confluent(schema_id: int, schema: dict[str, Any], value: dict[str, Any]) -> bytes:
    body = io.BytesIO()
    body.write(struct.pack(">bI", 0, schema_id))
    fastavro.schemaless_writer(body, fastavro.parse_schema(schema), value)
    return body.getvalue()


BILLS_STREAM = "subscription { bills(fromOffset: 0) { value { id } schemaErrors } }"


async def test_an_avro_topic_whose_writer_schema_is_fetched_before_its_owner_is_known(
    admin: Any,
    bootstrap: str,
    key_files: tuple[Path, Path],
    http: aiohttp.ClientSession,
    raw_producer: AIOKafkaProducer,
) -> None:
    registry_url = os.environ["KAFKA_GRAPHQL_SCHEMA_REGISTRY_URL"]
    topic = f"test-bills-{uuid.uuid4().hex[:12]}"
    await create_topic(admin, topic)
    await register(registry_url, f"{topic}-value", bill_schema())
    rule = {
        "name": topic,
        "type": "Bill",
        "value_schema": "registry",
        "value_format": "avro-confluent",
        "records": RULE,
    }
    settings = auth_settings(bootstrap, key_files[0], topics=[rule], registry_url=registry_url)
    async with run_gateway(settings) as gateway:

        def client(tenant: str | None, scope: str = READ_WRITE) -> GraphQLClient:
            token = RSA.sign(claims(scope=scope, tenant=tenant))
            return GraphQLClient(http, gateway.url, token)

        acme, globex, operator = client("acme"), client("globex"), client(None, ADMIN)
        await acme.data(PRODUCE_BILL, {"v": bill("b-1", "acme")})
        assert await refused(acme, PRODUCE_BILL, {"v": bill("b-0", "globex")}) == [
            ("FORBIDDEN", WRONG_VALUE)
        ]
        # A producer moves to a second schema version the gateway has not fetched yet.
        v2_schema = bill_schema({"name": "note", "type": ["null", "string"], "default": None})
        v2 = await register(registry_url, f"{topic}-value", v2_schema)
        for value in (bill("b-2", "acme"), bill("b-3", "globex")):
            await raw_producer.send_and_wait(topic, confluent(v2, v2_schema, value))
        # A schema id the registry never gave: nobody can tell whose it is.
        await raw_producer.send_and_wait(topic, struct.pack(">bI", 0, 987654) + b"\x02")
        await acme.data(PRODUCE_BILL, {"v": bill("b-4", "acme")})
        async with acme.subscribe(BILLS_STREAM) as stream:
            seen = await stream.take(3, "bills")
            await nothing_more(stream)
        assert [m["value"]["id"] for m in seen] == ["b-1", "b-2", "b-4"]
        assert await bill_ids(globex) == ["b-3"]
        assert await bill_ids(acme) == ["b-1", "b-2", "b-4"]
        assert await bill_ids(operator) == ["b-1", "b-2", "b-3", None, "b-4"]


PRODUCE_BILL = "mutation($v: BillInput!) { produceBill(value: $v) { offset } }"
BILLS = "{ bills(first: 20) { edges { node { value { id } } } } }"


def bill(bill_id: str, tenant: str) -> dict[str, Any]:
    return {"id": bill_id, "customer": {"tenantId": tenant}}


async def bill_ids(client: GraphQLClient) -> list[str | None]:
    edges = (await client.data(BILLS))["bills"]["edges"]
    return [e["node"]["value"]["id"] if e["node"]["value"] else None for e in edges]
