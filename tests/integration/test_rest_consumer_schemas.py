"""The consumer API's schema formats on the real broker and registry, with `[auth]` on: avro and
jsonschema instances read keys and values from Confluent's wire format (Avro in Avro's JSON
encoding, as Confluent shows it; a text key as its text), 40601 for another format's Accept,
a record that does not read answered as Confluent does (408, 40801, the instance staying at it
until the caller seeks past it; the records before it answered first), and a typed registry
topic read in the caller's view (a masked field null) under its tenant's record rule (another
tenant's record passed over, the committed offsets moving past it)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest_asyncio
from aiokafka.admin import AIOKafkaAdminClient

from kafka_graphql.settings import RestSettings
from tests.clients import RestClient
from tests.integration.auth import (  # noqa: F401 (a fixture)
    auth_settings,
    create_topic,
    key_files_fixture,
)
from tests.integration.conftest import RunningGateway, run_gateway
from tests.integration.consumers import Consumer
from tests.integration.test_rest_schemas import AVRO_V2, JSONSCHEMA_V2, NOTE, REFUND, register
from tests.tokens import claims, rsa_pair

RSA = rsa_pair()
RUN = uuid.uuid4().hex[:8]
PLAIN, NOTES = f"test-rest-cschema-{RUN}-plain", f"test-rest-cschema-{RUN}-notes"
REFUNDS = f"test-rest-cschema-{RUN}-refunds"  # avro-confluent, a masked field, tenants
SCOPES = "kafka:read:test-rest-cschema-* kafka:write:test-rest-cschema-* kafka:group:test-*"
PII = f"{SCOPES} refunds:pii"
JSON_V2 = "application/vnd.kafka.json.v2+json"
UNDECODABLE = (
    "Error deserializing key/value for partition {topic}-0 at offset {offset}. If needed, "
    "please seek past the record to continue consumption."
)


@pytest_asyncio.fixture(scope="module")
async def gateway(
    bootstrap: str, registry_url: str, key_files: tuple[Path, Path], admin: AIOKafkaAdminClient
) -> AsyncIterator[RunningGateway]:
    await create_topic(admin, PLAIN)
    await create_topic(admin, NOTES)
    await register(f"{REFUNDS}-value", REFUND)
    refunds = {
        "name": REFUNDS,
        "partitions": 1,
        "type": "Refund",
        "value_schema": "registry",
        "value_format": "avro-confluent",
        "mask": {"Refund.note": "refunds:pii"},
        "records": {"header": "tenant", "claim": "tenant"},
    }
    settings = auth_settings(
        bootstrap, key_files[0], topics=[refunds, {"name": "test-*"}], registry_url=registry_url
    ).model_copy(update={"rest": RestSettings(enabled=True)})
    async with run_gateway(settings) as running:
        yield running


def client(
    gateway: RunningGateway,
    http: aiohttp.ClientSession,
    scope: str = SCOPES,
    tenant: str | None = None,
) -> RestClient:
    return RestClient.of(http, gateway.url, RSA.sign(claims(scope=scope, tenant=tenant)))


def tp(topic: str) -> dict[str, Any]:
    return {"topic": topic, "partition": 0}


async def reader(rest: RestClient, topic: str, format: str, offset: int = 0) -> Consumer:
    consumer = await Consumer.create(rest, f"test-cschema-{RUN}", format=format)
    await consumer.must("POST", "/assignments", {"partitions": [tp(topic)]})
    await consumer.must("POST", "/positions", {"offsets": [{**tp(topic), "offset": offset}]})
    return consumer


def refused(status: int, code: int, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"error_code": code, "message": message}


async def test_avro_keys_and_values_and_a_record_that_does_not_read(
    gateway: RunningGateway, http: aiohttp.ClientSession
) -> None:
    rest = client(gateway, http)
    value_id = await register(f"{PLAIN}-value", REFUND)
    key_id = await register(f"{PLAIN}-key", "string")
    late = {"id": "r-1", "amountCents": 500, "note": {"string": "late"}}
    records = [{"key": "r-1", "value": late}, {"key": "r-2"}]
    body = {"key_schema_id": key_id, "value_schema_id": value_id, "records": records}
    assert (await rest.post(f"/topics/{PLAIN}", body, AVRO_V2)).status == 200
    await rest.produce(PLAIN, [{"key": "text", "value": {"not": "avro"}}], JSON_V2)
    after = {"value_schema_id": value_id, "records": [{"value": {**late, "id": "r-3"}}]}
    assert (await rest.post(f"/topics/{PLAIN}", after, AVRO_V2)).status == 200
    consumer = await reader(rest, PLAIN, "avro")
    try:
        # The records before the one that does not read come first; then its error, again
        # and again, until the caller seeks past it.
        assert await consumer.read(2) == [
            {"topic": PLAIN, "key": "r-1", "value": late, "partition": 0, "offset": 0},
            {"topic": PLAIN, "key": "r-2", "value": None, "partition": 0, "offset": 1},
        ]
        stuck = refused(408, 40801, UNDECODABLE.format(topic=PLAIN, offset=2))
        for _ in range(2):
            answer = await consumer.records(timeout_ms=3000)
            assert (answer.status, answer.json()) == stuck
        json_accept = await rest.send(
            "GET", f"{consumer.path}/records", headers={"Accept": JSON_V2}
        )
        assert (json_accept.status, json_accept.json()["error_code"]) == (406, 40601)
        await consumer.must("POST", "/positions", {"offsets": [{**tp(PLAIN), "offset": 3}]})
        (last,) = await consumer.read(1)
        assert (last["offset"], last["key"], last["value"]["id"]) == (3, None, "r-3")
        assert (await consumer.records()).headers["Content-Type"] == AVRO_V2
    finally:
        await consumer.delete()


async def test_jsonschema_values_and_an_avro_value_that_is_not_one(
    gateway: RunningGateway, http: aiohttp.ClientSession
) -> None:
    rest = client(gateway, http)
    note_id = await register(f"{NOTES}-value", NOTE, "JSON")
    key_id = await register(f"{NOTES}-key", {"$schema": NOTE["$schema"], "type": "string"}, "JSON")
    refund_id = await register(f"{NOTES}-refund-value", REFUND)
    notes = {
        "key_schema_id": key_id,
        "value_schema_id": note_id,
        "records": [{"key": "n-1", "value": {"text": "hi"}}],
    }
    assert (await rest.post(f"/topics/{NOTES}", notes, JSONSCHEMA_V2)).status == 200
    avro = {"value_schema_id": refund_id, "records": [{"value": {"id": "r", "amountCents": 1}}]}
    assert (await rest.post(f"/topics/{NOTES}", avro, AVRO_V2)).status == 200
    consumer = await reader(rest, NOTES, "jsonschema")
    try:
        assert await consumer.read(1) == [
            {"topic": NOTES, "key": "n-1", "value": {"text": "hi"}, "partition": 0, "offset": 0}
        ]
        answer = await consumer.records(timeout_ms=3000)
        assert (answer.status, answer.json()) == refused(
            408, 40801, UNDECODABLE.format(topic=NOTES, offset=1)
        )
    finally:
        await consumer.delete()


async def test_a_typed_topic_in_the_callers_view_under_its_tenants_rule(
    gateway: RunningGateway, http: aiohttp.ClientSession
) -> None:
    acme, globex = client(gateway, http, PII, "acme"), client(gateway, http, PII, "globex")
    refund = {"id": f"r-{RUN}", "amountCents": 5, "note": "late"}
    first = (await acme.produce(REFUNDS, [{"key": "a-1", "value": refund}]))[0]["offset"]
    await globex.produce(REFUNDS, [{"key": "g-1", "value": {**refund, "id": "g"}}])
    await acme.produce(REFUNDS, [{"key": "a-2", "value": {**refund, "note": None}}])
    views = [(PII, "late"), (SCOPES, None)]
    for scope, note in views:
        consumer = await reader(client(gateway, http, scope, "acme"), REFUNDS, "avro", first)
        try:
            read = await consumer.read(2)
            assert [(r["key"], r["offset"]) for r in read] == [("a-1", first), ("a-2", first + 2)]
            # The typed topic's own JSON (what json v2 takes), the masked note null.
            assert [r["value"] for r in read] == [
                {**refund, "note": note},
                {**refund, "note": None},
            ]
            await consumer.must("POST", "/offsets")
            committed = await consumer.must("GET", "/offsets", {"partitions": [tp(REFUNDS)]})
            assert committed["offsets"][0]["offset"] == first + 3
        finally:
            await consumer.delete()
