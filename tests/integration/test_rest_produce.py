"""REST produce on the real broker, table-driven: every embedded format (json v2, binary v2,
plain JSON), keys, tombstones, headers, partitions (in the record and in the path), batches, and
what a raw Kafka consumer then holds; the refusals that need the cluster (40401, 40402); typed
topics (JSON Schema, an Avro file, registry Avro) written in their format from json v2 records,
and refused with 42206 and the field's path, nothing written."""

from __future__ import annotations

import base64
import io
import json
import os
import struct
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import fastavro
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer, TopicPartition

from kafka_graphql.dev.cursor_key import DEV_CURSOR_KEYS_ENV
from kafka_graphql.settings import settings_from_mapping
from tests.clients import BINARY_V2, JSON_V2, RestClient
from tests.integration.auth import end_offsets
from tests.integration.conftest import RunningGateway, TopicFactory, run_gateway
from tests.integration.typed import PAYMENT, SCHEMAS

RUN = uuid.uuid4().hex[:8]
ORDERS = f"test-rest-orders-{RUN}"  # JSON Schema (order.schema.json)
PAYMENTS = f"test-rest-payments-{RUN}"  # an Avro file (payment.avsc)
REFUNDS = f"test-rest-refunds-{RUN}"  # Avro in the registry, Confluent's wire format
REFUND_SCHEMA = {
    "type": "record",
    "name": "Refund",
    "fields": [{"name": "id", "type": "string"}, {"name": "amountCents", "type": "long"}],
}


async def register(registry_url: str, subject: str, schema: dict[str, Any]) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{registry_url}/subjects/{subject}/versions",
            json={"schema": json.dumps(schema)},
            headers={"Content-Type": "application/vnd.schemaregistry.v1+json"},
        ) as response,
    ):
        assert response.status == 200, await response.text()
        schema_id: int = (await response.json())["id"]
        return schema_id


@pytest_asyncio.fixture(scope="module")
async def refund_schema_id() -> int:
    return await register(
        os.environ["KAFKA_GRAPHQL_SCHEMA_REGISTRY_URL"], f"{REFUNDS}-value", REFUND_SCHEMA
    )


@pytest_asyncio.fixture(scope="module")
async def gateway(bootstrap: str, refund_schema_id: int) -> AsyncIterator[RunningGateway]:
    typed = [
        {"name": ORDERS, "partitions": 1, "type": "Order", "value_schema": "order.schema.json"},
        {
            "name": PAYMENTS,
            "partitions": 1,
            "type": "Payment",
            "value_schema": "payment.avsc",
            "value_format": "avro",
        },
        {
            "name": REFUNDS,
            "partitions": 1,
            "type": "Refund",
            "value_schema": "registry",
            "value_format": "avro-confluent",
        },
    ]
    raw = {
        "kafka": {"bootstrap_servers": bootstrap, "request_timeout_s": 10, "metadata_max_age_s": 0},
        "server": {"shutdown_grace_s": 2, "cursor_keys_env": DEV_CURSOR_KEYS_ENV},
        "schema_registry": {"url": os.environ["KAFKA_GRAPHQL_SCHEMA_REGISTRY_URL"]},
        "rest": {"enabled": True},
        "topics": [*typed, {"name": "test-*"}],
    }
    async with run_gateway(settings_from_mapping(raw, base_dir=SCHEMAS)) as running:
        yield running


@pytest.fixture
def rest(gateway: RunningGateway, http: aiohttp.ClientSession) -> RestClient:
    return RestClient.of(http, gateway.url)


@dataclass(frozen=True)
class Held:
    """A record as a raw Kafka consumer reads it."""

    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes | None], ...] = ()


async def held(bootstrap: str, topic: str, partitions: int = 1) -> list[Held]:
    ends = await end_offsets(bootstrap, topic, partitions)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        found: list[Held] = []
        while [tp for tp in tps if await consumer.position(tp) < ends[tp.partition]]:
            for tp, records in (await consumer.getmany(timeout_ms=1000)).items():
                found += [
                    Held(tp.partition, r.offset, r.key, r.value, tuple(r.headers)) for r in records
                ]
        return sorted(found, key=lambda r: (r.partition, r.offset))
    finally:
        await consumer.stop()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def written(*positions: tuple[int, int]) -> dict[str, Any]:
    return {
        "offsets": [
            {"partition": p, "offset": o, "error_code": None, "error": None} for p, o in positions
        ],
        "key_schema_id": None,
        "value_schema_id": None,
    }


@dataclass(frozen=True)
class Produce:
    records: list[dict[str, Any]]
    # Where Kafka put them (partition, offset), in the records' order.
    positions: list[tuple[int, int]]
    # What a raw consumer then holds, by partition and offset.
    held: list[Held]
    content_type: str = JSON_V2
    partitions: int = 1
    # The path's partition (POST /topics/{topic}/partitions/{partition}).
    path_partition: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


CASES = {
    "json v2 value": Produce(
        [{"value": {"foo": "bar"}}], [(0, 0)], [Held(0, 0, None, b'{"foo":"bar"}')]
    ),
    "json v2 keys: text as it is, other JSON as its JSON": Produce(
        [{"key": "k-1", "value": 1}, {"key": 42, "value": 2}, {"key": {"a": [1]}, "value": 3}],
        [(0, 0), (0, 1), (0, 2)],
        [Held(0, 0, b"k-1", b"1"), Held(0, 1, b"42", b"2"), Held(0, 2, b'{"a":[1]}', b"3")],
    ),
    "json v2 null or no value: a tombstone": Produce(
        [{"key": "gone", "value": None}, {"key": "gone too"}],
        [(0, 0), (0, 1)],
        [Held(0, 0, b"gone", None), Held(0, 1, b"gone too", None)],
    ),
    "json v2 text, numbers, arrays": Produce(
        [{"value": "héllo"}, {"value": 1.5}, {"value": [True, None]}],
        [(0, 0), (0, 1), (0, 2)],
        [
            Held(0, 0, None, '"héllo"'.encode()),
            Held(0, 1, None, b"1.5"),
            Held(0, 2, None, b"[true,null]"),
        ],
    ),
    "plain application/json reads as json v2": Produce(
        [{"key": "k", "value": {"n": 1}}],
        [(0, 0)],
        [Held(0, 0, b"k", b'{"n":1}')],
        content_type="application/json",
    ),
    "binary v2: base64 keys and values, written as their bytes": Produce(
        [{"key": b64(b"\x00key"), "value": b64(b"\xff\x00\x01")}, {"key": b64(b"k")}],
        [(0, 0), (0, 1)],
        [Held(0, 0, b"\x00key", b"\xff\x00\x01"), Held(0, 1, b"k", None)],
        content_type=BINARY_V2,
    ),
    "headers: base64 values, null for none": Produce(
        [{"value": 1, "headers": [{"name": "trace", "value": b64(b"\xfe\x01")}, {"name": "flag"}]}],
        [(0, 0)],
        [Held(0, 0, None, b"1", (("trace", b"\xfe\x01"), ("flag", None)))],
    ),
    "a partition in each record": Produce(
        [
            {"value": "a", "partition": 1},
            {"value": "b", "partition": 0},
            {"value": "c", "partition": 1},
        ],
        [(1, 0), (0, 0), (1, 1)],
        [Held(0, 0, None, b'"b"'), Held(1, 0, None, b'"a"'), Held(1, 1, None, b'"c"')],
        partitions=2,
    ),
    "the path's partition": Produce(
        [{"value": "x"}, {"value": "y"}],
        [(1, 0), (1, 1)],
        [Held(1, 0, None, b'"x"'), Held(1, 1, None, b'"y"')],
        partitions=2,
        path_partition=1,
    ),
    "binary to the path's partition": Produce(
        [{"value": b64(b"raw")}],
        [(1, 0)],
        [Held(1, 0, None, b"raw")],
        content_type=BINARY_V2,
        partitions=2,
        path_partition=1,
    ),
    "the schema fields are ignored by json and binary, as Confluent's": Produce(
        [{"value": 1}],
        [(0, 0)],
        [Held(0, 0, None, b"1")],
        extra={"value_schema_id": 7, "key_schema": '"string"'},
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
async def test_produce(
    case: Produce, rest: RestClient, new_topic: TopicFactory, bootstrap: str
) -> None:
    topic = await new_topic(case.partitions)
    path = f"/topics/{topic}"
    if case.path_partition is not None:
        path += f"/partitions/{case.path_partition}"
    answer = await rest.post(path, {"records": case.records, **case.extra}, case.content_type)
    assert (answer.status, answer.headers["Content-Type"]) == (200, "application/vnd.kafka.v2+json")
    assert answer.json() == written(*case.positions)
    assert await held(bootstrap, topic, case.partitions) == case.held


@dataclass(frozen=True)
class Refused:
    path: str  # {topic}: a topic of one partition, made for the test
    records: list[dict[str, Any]]
    status: int
    error_code: int
    message: str  # {topic} replaced


REFUSALS = {
    "a topic that does not exist": Refused(
        "/topics/test-rest-missing-{run}", [{"value": 1}], 404, 40401,
        "topic 'test-rest-missing-{run}' not found",
    ),
    "a partition the topic lacks, in the path": Refused(
        "/topics/{topic}/partitions/3", [{"value": 1}], 404, 40402,
        "topic '{topic}' has no partition 3 (it has 1)",
    ),
    "a partition the topic lacks, in a record": Refused(
        "/topics/{topic}", [{"value": 1}, {"value": 2, "partition": 1}], 404, 40402,
        "topic '{topic}' has no partition 1 (it has 1)",
    ),
}  # fmt: skip


REFUSALS["a tombstone without a key"] = Refused(
    "/topics/{topic}", [{"key": "k", "value": None}, {"value": None}], 422, 422,
    "records[1]: a record without a value (a tombstone) needs a key: the key is what it deletes",
)  # fmt: skip


@pytest.mark.parametrize("case", REFUSALS.values(), ids=REFUSALS.keys())
async def test_refused_whole_and_nothing_written(
    case: Refused, rest: RestClient, new_topic: TopicFactory, bootstrap: str
) -> None:
    topic = await new_topic(1)
    path = case.path.format(topic=topic, run=RUN)
    answer = await rest.post(path, {"records": case.records})
    assert answer.status == case.status
    assert answer.json() == {
        "error_code": case.error_code,
        "message": case.message.format(topic=topic, run=RUN),
    }
    assert await end_offsets(bootstrap, topic) == {0: 0}


def order(order_id: str, **changes: Any) -> dict[str, Any]:
    value = {
        "id": order_id,
        "placedAt": "2026-11-26T09:30:00Z",
        "status": "PAID",
        "customer": {"name": "Ada", "email": "ada@example.com"},
        "items": [{"sku": "TEA-42", "count": 2}],
        "quantity": 2,
    }
    return {**value, **changes}


async def test_a_json_v2_record_to_a_json_schema_topic(rest: RestClient, bootstrap: str) -> None:
    before = (await end_offsets(bootstrap, ORDERS))[0]
    good = order(f"o-{RUN}")
    answer = await rest.post(f"/topics/{ORDERS}", {"records": [{"key": good["id"], "value": good}]})
    assert answer.json() == written((0, before))
    (last,) = (await held(bootstrap, ORDERS))[-1:]
    assert (last.key, json.loads(last.value or b"")) == (good["id"].encode(), good)


TYPED_REFUSALS = {
    "a field breaks its format": (
        {"customer": {"name": "Ada", "email": "not-an-email"}},
        "records[1].value does not match the topic's schema: customer.email: ",
    ),
    "a nested item breaks its pattern": (
        {"items": [{"sku": "tea", "count": 1}]},
        "records[1].value does not match the topic's schema: items.0.sku: ",
    ),
    "a required field is missing": (
        {"status": None},
        "records[1].value does not match the topic's schema: status: ",
    ),
}


@pytest.mark.parametrize(("changes", "message"), TYPED_REFUSALS.values(), ids=TYPED_REFUSALS)
async def test_a_value_the_schema_refuses_is_42206_with_its_path(
    changes: dict[str, Any], message: str, rest: RestClient, bootstrap: str
) -> None:
    before = await end_offsets(bootstrap, ORDERS)
    records = [{"value": order("fine")}, {"value": order("bad", **changes)}]
    answer = await rest.post(f"/topics/{ORDERS}", {"records": records})
    assert answer.status == 422
    body = answer.json()
    assert body["error_code"] == 42206
    assert body["message"].startswith(message), body
    assert await end_offsets(bootstrap, ORDERS) == before


async def test_binary_to_a_typed_topic_must_be_one_of_its_values(
    rest: RestClient, bootstrap: str
) -> None:
    before = (await end_offsets(bootstrap, ORDERS))[0]
    valid = json.dumps(order(f"o-{RUN}-raw")).encode()
    answer = await rest.post(
        f"/topics/{ORDERS}",
        {"records": [{"value": b64(valid)}, {"key": b64(b"o-gone"), "value": None}]},
        BINARY_V2,
    )
    assert answer.json() == written((0, before), (0, before + 1))
    assert [h.value for h in (await held(bootstrap, ORDERS))[-2:]] == [valid, None]
    for bad, problem in [(b"\xff", "not a value of the topic's format"), (b'{"id": 1}', "")]:
        answer = await rest.post(f"/topics/{ORDERS}", {"records": [{"value": b64(bad)}]}, BINARY_V2)
        assert (answer.status, answer.json()["error_code"]) == (422, 42206)
        assert problem in answer.json()["message"]
    assert (await end_offsets(bootstrap, ORDERS))[0] == before + 2


async def test_a_json_v2_record_to_an_avro_topic_is_written_in_avro(
    rest: RestClient, bootstrap: str
) -> None:
    # The JSON the gateway reads back: a union's member named by `__typename` (GraphQL's
    # inputs name it by a field of their own).
    payment = {**PAYMENT, "method": {"__typename": "Transfer", "iban": "DE00"}}
    answer = await rest.post(f"/topics/{PAYMENTS}", {"records": [{"value": payment}]})
    assert answer.status == 200, answer.body
    (last,) = (await held(bootstrap, PAYMENTS))[-1:]
    schema = fastavro.parse_schema(json.loads((SCHEMAS / "payment.avsc").read_text()))
    datum: Any = fastavro.schemaless_reader(io.BytesIO(last.value or b""), schema)
    assert (datum["id"], datum["amountCents"], datum["digest"]) == (
        "p-1",
        1234,
        b"\x00\x01\x02\x03",
    )
    bad = {**payment, "amountCents": "many"}
    refused = await rest.post(f"/topics/{PAYMENTS}", {"records": [{"value": bad}]})
    assert (refused.status, refused.json()["error_code"]) == (422, 42206)
    assert "amountCents" in refused.json()["message"]


async def test_a_json_v2_record_to_a_registry_topic_carries_its_schema_id(
    rest: RestClient, bootstrap: str, refund_schema_id: int
) -> None:
    value = {"id": f"r-{RUN}", "amountCents": 500}
    answer = await rest.post(f"/topics/{REFUNDS}", {"records": [{"value": value}]})
    assert answer.status == 200, answer.body
    (last,) = (await held(bootstrap, REFUNDS))[-1:]
    raw = last.value or b""
    assert raw[:5] == struct.pack(">bI", 0, refund_schema_id)
    assert (
        fastavro.schemaless_reader(io.BytesIO(raw[5:]), fastavro.parse_schema(REFUND_SCHEMA))
        == value
    )
