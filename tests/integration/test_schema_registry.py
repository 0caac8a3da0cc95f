"""The registry client against the real Confluent-compatible registry `make test` started."""

from __future__ import annotations

import asyncio
import io
import json
import socket
import struct
import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import aiohttp
import fastavro
import pytest
import pytest_asyncio

from kafka_graphql.core.errors import NotFound, SchemaRegistryUnavailable
from kafka_graphql.core.typed.avro_values import AvroValues
from kafka_graphql.core.typed.codecs import ConfluentAvroCodec
from kafka_graphql.core.typed.errors import SchemaProblem
from kafka_graphql.core.typed.topic import load_typed_topics
from kafka_graphql.schema_registry.client import SchemaRegistryClient
from kafka_graphql.settings import SchemaRegistrySettings, TopicRule, settings_from_mapping


class CountingSession:
    """A real aiohttp session that counts the HTTP requests it sends."""

    def __init__(self) -> None:
        self.requests = 0
        trace = aiohttp.TraceConfig()
        trace.on_request_start.append(self._count)
        self.session = aiohttp.ClientSession(trace_configs=[trace])

    async def _count(self, _session: Any, _context: SimpleNamespace, _params: Any) -> None:
        self.requests += 1


@pytest_asyncio.fixture
async def counting() -> AsyncIterator[CountingSession]:
    counting = CountingSession()
    yield counting
    await counting.session.close()


async def register(
    url: str, subject: str, schema: dict[str, Any], schema_type: str | None = None
) -> int:
    """Registers with a plain POST: the gateway's client never registers anything. Confluent's
    API takes Avro when `schema_type` is not given; Apicurio also tells JSON Schema by content."""
    body = {"schema": json.dumps(schema)}
    if schema_type is not None:
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
        return int((await response.json())["id"])


def payment(*extra_fields: dict[str, Any]) -> dict[str, Any]:
    fields = [{"name": "id", "type": "string"}, *extra_fields]
    return {"type": "record", "name": "Payment", "fields": fields}


def subject() -> str:
    return f"test-{uuid.uuid4().hex[:12]}-value"


async def test_latest_version_and_schema_by_id(registry_url: str) -> None:
    name = subject()
    first_id = await register(registry_url, name, payment())
    async with SchemaRegistryClient(SchemaRegistrySettings(url=registry_url)) as registry:
        latest = await registry.latest(name)
        assert (latest.id, latest.version, latest.schema_type) == (first_id, 1, "AVRO")
        assert json.loads(latest.text) == payment()
        by_id = await registry.by_id(first_id)
        assert json.loads(by_id.text) == payment()
        second = payment({"name": "note", "type": ["null", "string"], "default": None})
        second_id = await register(registry_url, name, second)
        assert second_id != first_id
        latest = await registry.latest(name)
        assert (latest.id, latest.version) == (second_id, 2)
        assert json.loads(latest.text) == second
        # The old id still names the old schema: values written with it stay readable.
        assert json.loads((await registry.by_id(first_id)).text) == payment()


async def test_unknown_ids_and_subjects_are_not_found(registry_url: str) -> None:
    async with SchemaRegistryClient(SchemaRegistrySettings(url=registry_url)) as registry:
        with pytest.raises(NotFound, match="schema id 987654321 is not in the schema registry"):
            await registry.by_id(987654321)
        with pytest.raises(NotFound, match="test-nope-value is not in the schema registry"):
            await registry.latest("test-nope-value")


async def test_schemas_by_id_are_fetched_once(registry_url: str, counting: CountingSession) -> None:
    schema_id = await register(registry_url, subject(), payment({"name": "n", "type": "int"}))
    settings = SchemaRegistrySettings(url=registry_url)
    async with SchemaRegistryClient(settings, counting.session) as registry:
        # Many values with the same new id arriving together share one fetch.
        results = await asyncio.gather(*(registry.by_id(schema_id) for _ in range(20)))
        assert {r.id for r in results} == {schema_id}
        assert counting.requests == 1
        await registry.by_id(schema_id)
        assert counting.requests == 1


async def test_the_cache_is_bounded(registry_url: str, counting: CountingSession) -> None:
    first = await register(registry_url, subject(), payment({"name": "a", "type": "int"}))
    second = await register(registry_url, subject(), payment({"name": "b", "type": "int"}))
    settings = SchemaRegistrySettings(url=registry_url, cache_size=1)
    async with SchemaRegistryClient(settings, counting.session) as registry:
        await registry.by_id(first)
        await registry.by_id(second)  # evicts the first
        await registry.by_id(second)
        assert counting.requests == 2
        await registry.by_id(first)
        assert counting.requests == 3


async def test_an_unreachable_registry_is_unavailable() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = SchemaRegistrySettings(url=f"http://127.0.0.1:{port}/apis/ccompat/v7")
    async with SchemaRegistryClient(settings) as registry:
        with pytest.raises(SchemaRegistryUnavailable, match="cannot reach the schema registry"):
            await registry.latest("anything-value")
        with pytest.raises(SchemaRegistryUnavailable):
            await registry.by_id(1)


async def test_a_wrong_base_url_is_unavailable_not_not_found(registry_url: str) -> None:
    base = registry_url.removesuffix("/apis/ccompat/v7")
    settings = SchemaRegistrySettings(url=f"{base}/no/such/api")
    async with SchemaRegistryClient(settings) as registry:
        with pytest.raises(SchemaRegistryUnavailable, match="answered HTTP 404"):
            await registry.latest("anything-value")


async def test_confluent_values_are_read_with_their_writer_schema(registry_url: str) -> None:
    name = subject()
    old_id = await register(registry_url, name, payment())
    new_schema = payment({"name": "note", "type": ["null", "string"], "default": None})
    new_id = await register(registry_url, name, new_schema)
    buffer = io.BytesIO()
    buffer.write(struct.pack(">bI", 0, old_id))
    fastavro.schemaless_writer(buffer, fastavro.parse_schema(payment()), {"id": "p-1"})
    async with SchemaRegistryClient(SchemaRegistrySettings(url=registry_url)) as registry:
        codec = ConfluentAvroCodec(AvroValues(new_schema), new_id, registry)
        # Written with the old version, read as the topic's current one (the default fills in).
        assert await codec.decode(buffer.getvalue()) == {"id": "p-1", "note": None}
        with pytest.raises(NotFound, match="schema id 987654321"):
            await codec.decode(struct.pack(">bI", 0, 987654321) + b"\x02x")


async def test_a_registry_topic_loads_its_latest_schema(registry_url: str) -> None:
    topic = f"test-{uuid.uuid4().hex[:12]}"
    await register(registry_url, f"{topic}-value", payment())
    latest_id = await register(
        registry_url, f"{topic}-value", payment({"name": "n", "type": "long"})
    )
    settings = settings_from_mapping(
        {
            "schema_registry": {"url": registry_url},
            "topics": [
                {
                    "name": topic,
                    "type": "Payment",
                    "value_schema": "registry",
                    "value_format": "avro-confluent",
                }
            ],
        }
    )
    async with SchemaRegistryClient(settings.schema_registry) as registry:
        loaded = (await load_typed_topics(settings.topics, registry))[topic]
        assert loaded.schema_id == latest_id
        assert [f.name for f in loaded.model.root_type.fields] == ["id", "n"]
        data = loaded.codec.encode({"id": "p", "n": 2**40})
        assert data[:5] == struct.pack(">bI", 0, latest_id)
        assert await loaded.codec.decode(data) == {"id": "p", "n": 2**40}
        missing = TopicRule(
            name="test-missing", type="Missing", value_schema="registry", value_format="avro"
        )
        with pytest.raises(
            SchemaProblem, match=r"subject test-missing-value at /: test-missing-value is not in"
        ):
            await load_typed_topics((missing,), registry)
