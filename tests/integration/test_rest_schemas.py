"""v2's schema formats on the real broker and registry: avro v2 and jsonschema v2 records written
in Confluent's wire format with the schema a request names (by id, or as text registered under
the topic's subject), keys included; every schema refusal (42205), a value Avro cannot take
(42203), one a JSON Schema refuses (42206 with its path); a typed registry topic taking Avro
written with its own schema and refusing one it cannot read. Nothing is written by a refusal."""

from __future__ import annotations

import io
import json
import os
import struct
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import fastavro
import pytest
import pytest_asyncio

from kafka_graphql.dev.cursor_key import DEV_CURSOR_KEYS_ENV
from kafka_graphql.settings import settings_from_mapping
from tests.clients import RestClient
from tests.integration.auth import end_offsets
from tests.integration.conftest import RunningGateway, TopicFactory, run_gateway
from tests.integration.test_rest_produce import held

AVRO_V2 = "application/vnd.kafka.avro.v2+json"
JSONSCHEMA_V2 = "application/vnd.kafka.jsonschema.v2+json"
RUN = uuid.uuid4().hex[:8]
TYPED = f"test-rest-schema-refunds-{RUN}"  # avro-confluent, its schema in the registry
REFUND = {
    "type": "record",
    "name": "Refund",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "amountCents", "type": "long"},
        {"name": "note", "type": ["null", "string"], "default": None},
    ],
}
OTHER = {"type": "record", "name": "Other", "fields": [{"name": "x", "type": "boolean"}]}
NOTE = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["text"],
    "properties": {"text": {"type": "string", "maxLength": 5}},
}


async def register(subject: str, schema: Any, schema_type: str = "AVRO") -> int:
    url = os.environ["KAFKA_GRAPHQL_SCHEMA_REGISTRY_URL"]
    body: dict[str, Any] = {"schema": json.dumps(schema)}
    if schema_type != "AVRO":
        body["schemaType"] = schema_type
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{url}/subjects/{subject}/versions",
            json=body,
            headers={"Content-Type": "application/vnd.schemaregistry.v1+json"},
        ) as response,
    ):
        assert response.status == 200, await response.text()
        schema_id: int = (await response.json())["id"]
        return schema_id


@pytest_asyncio.fixture(scope="module")
async def typed_id() -> int:
    return await register(f"{TYPED}-value", REFUND)


@pytest_asyncio.fixture(scope="module")
async def gateway(
    bootstrap: str, registry_url: str, typed_id: int
) -> AsyncIterator[RunningGateway]:
    raw = {
        "kafka": {"bootstrap_servers": bootstrap, "request_timeout_s": 10, "metadata_max_age_s": 0},
        "server": {"shutdown_grace_s": 2, "cursor_keys_env": DEV_CURSOR_KEYS_ENV},
        "schema_registry": {"url": registry_url},
        "rest": {"enabled": True},
        "topics": [
            {
                "name": TYPED,
                "partitions": 1,
                "type": "Refund",
                "value_schema": "registry",
                "value_format": "avro-confluent",
            },
            {"name": "test-*"},
        ],
    }
    async with run_gateway(settings_from_mapping(raw)) as running:
        yield running


@pytest.fixture
def rest(gateway: RunningGateway, http: aiohttp.ClientSession) -> RestClient:
    return RestClient.of(http, gateway.url)


def wire(schema_id: int, payload: bytes) -> bytes:
    return struct.pack(">bI", 0, schema_id) + payload


def avro(schema: Any, datum: Any) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(schema), datum)
    return out.getvalue()


def written(schema_ids: tuple[int | None, int | None], *offsets: int) -> dict[str, Any]:
    return {
        "offsets": [
            {"partition": 0, "offset": o, "error_code": None, "error": None} for o in offsets
        ],
        "key_schema_id": schema_ids[0],
        "value_schema_id": schema_ids[1],
    }


async def test_avro_v2_by_id_and_by_text_with_keys(
    rest: RestClient, new_topic: TopicFactory, bootstrap: str
) -> None:
    topic = await new_topic()
    value_id = await register(f"{topic}-value", REFUND)
    key_id = await register(f"{topic}-key", "string")
    records = [
        # Avro's JSON encoding: a union's branch is named.
        {"key": "r-1", "value": {"id": "r-1", "amountCents": 500, "note": {"string": "late"}}},
        {"value": {"id": "r-2", "amountCents": 7, "note": None}},
        {"key": "r-3"},  # a tombstone
    ]
    by_id = {"key_schema_id": key_id, "value_schema_id": value_id, "records": records}
    answer = await rest.post(f"/topics/{topic}", by_id, AVRO_V2)
    assert answer.json() == written((key_id, value_id), 0, 1, 2)
    by_text = {"value_schema": json.dumps(REFUND), "records": records[1:2]}
    answer = await rest.post(f"/topics/{topic}", by_text, AVRO_V2)
    assert answer.json() == written((None, value_id), 3)
    first, second, tombstone, fourth = await held(bootstrap, topic)
    assert first.key == wire(key_id, avro("string", "r-1"))
    assert first.value == wire(
        value_id, avro(REFUND, {"id": "r-1", "amountCents": 500, "note": "late"})
    )
    assert (second.key, second.value) == (None, fourth.value)
    assert (tombstone.key, tombstone.value) == (wire(key_id, avro("string", "r-3")), None)


async def test_jsonschema_v2_by_id(
    rest: RestClient, new_topic: TopicFactory, bootstrap: str
) -> None:
    topic = await new_topic()
    note_id = await register(f"{topic}-value", NOTE, "JSON")
    answer = await rest.post(
        f"/topics/{topic}",
        {"value_schema_id": note_id, "records": [{"value": {"text": "hi"}}]},
        JSONSCHEMA_V2,
    )
    assert answer.json() == written((None, note_id), 0)
    (record,) = await held(bootstrap, topic)
    assert record.value == wire(note_id, b'{"text":"hi"}')
    refused = await rest.post(
        f"/topics/{topic}",
        {
            "value_schema_id": note_id,
            "records": [{"value": {"text": "hi"}}, {"value": {"text": "too long"}}],
        },
        JSONSCHEMA_V2,
    )
    assert (refused.status, refused.json()) == (
        422,
        {
            "error_code": 42206,
            "message": f"records[1].value does not match schema id {note_id}: text: "
            "'too long' is too long",
        },
    )
    assert await end_offsets(bootstrap, topic) == {0: 1}


SCHEMA_REFUSALS = {
    "an unknown id": (
        lambda ids: {"value_schema_id": 2_000_000_000}, 42205,
        "Invalid schema: no schema of id 2000000000 in the schema registry",
    ),
    "a JSON Schema's id for avro": (
        lambda ids: {"value_schema_id": ids["note"]}, 42205,
        "Invalid schema: schema id {note} is JSON, not AVRO",
    ),
    "a schema not registered under the topic's subject": (
        lambda ids: {"value_schema": json.dumps(OTHER)}, 42205,
        "Invalid schema: this schema is not registered under subject {topic}-value",
    ),
    "a value that is not of the schema": (
        lambda ids: {"value_schema_id": ids["refund"]}, 42203,
        "Conversion of JSON to Object failed: records[0].value is not a value of schema id",
    ),
}  # fmt: skip


@pytest.mark.parametrize(
    ("given", "error_code", "message"), SCHEMA_REFUSALS.values(), ids=SCHEMA_REFUSALS
)
async def test_schema_refusals(
    given: Any,
    error_code: int,
    message: str,
    rest: RestClient,
    new_topic: TopicFactory,
    bootstrap: str,
) -> None:
    topic = await new_topic()
    ids = {
        "refund": await register(f"{topic}-value", REFUND),
        "note": await register(f"{topic}-note-value", NOTE, "JSON"),
    }
    body = {**given(ids), "records": [{"value": {"id": "r", "amountCents": "many"}}]}
    refused = await rest.post(f"/topics/{topic}", body, AVRO_V2)
    assert refused.status == 422
    assert refused.json()["error_code"] == error_code
    assert refused.json()["message"].startswith(message.format(topic=topic, **ids)), refused.json()
    assert await end_offsets(bootstrap, topic) == {0: 0}


async def test_a_typed_registry_topic_takes_its_own_avro_and_refuses_what_it_cannot_read(
    rest: RestClient, bootstrap: str, typed_id: int, new_topic: TopicFactory
) -> None:
    before = (await end_offsets(bootstrap, TYPED))[0]
    value = {"id": f"r-{RUN}", "amountCents": 5, "note": None}
    answer = await rest.post(
        f"/topics/{TYPED}", {"value_schema_id": typed_id, "records": [{"value": value}]}, AVRO_V2
    )
    assert answer.json() == written((None, typed_id), before)
    (last,) = (await held(bootstrap, TYPED))[-1:]
    assert last.value == wire(typed_id, avro(REFUND, value))
    other_id = await register(f"{await new_topic()}-value", OTHER)
    refused = await rest.post(
        f"/topics/{TYPED}",
        {"value_schema_id": other_id, "records": [{"value": {"x": True}}]},
        AVRO_V2,
    )
    assert (refused.status, refused.json()["error_code"]) == (422, 42206), refused.json()
    assert (await end_offsets(bootstrap, TYPED))[0] == before + 1
