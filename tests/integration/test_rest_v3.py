"""v3 produce on the real broker: `GET /v3/clusters` in Confluent's list shape with Kafka's
cluster id (its `self` links from the request's host, or from server.public_url); one record
per request (JSON, BINARY and STRING keys and values, a partition, headers, a timestamp, a
tombstone) answered as Confluent does and held by Kafka as sent; a streaming request (chunked,
concatenated records) answered record by record as each arrives, each with its own error_code;
the produce budget shared with the other faces; the refusals."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest_asyncio
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from kafka_graphql.settings import RestSettings, Settings
from tests.clock import FakeClock
from tests.integration.auth import auth_settings, key_files_fixture  # noqa: F401 (a fixture)
from tests.integration.conftest import RunningGateway, TopicFactory, run_gateway
from tests.tokens import RUN_TTL_S, claims, rsa_pair

RSA = rsa_pair()
# Made at import, used until the run ends: valid for longer than a whole `make test`.
AUTH = {
    "Authorization": f"Bearer {RSA.sign(claims(ttl_s=RUN_TTL_S))}",
    "Content-Type": "application/json",
}


def settings(key_file: Path, bootstrap: str, **limits: Any) -> Settings:
    base = auth_settings(bootstrap, key_file)
    return base.model_copy(
        update={
            "rest": RestSettings(enabled=True),
            "limits": base.limits.model_copy(update=limits),
        }
    )


@pytest_asyncio.fixture(scope="module")
async def gateway(bootstrap: str, key_files: tuple[Path, Path]) -> AsyncIterator[RunningGateway]:
    async with run_gateway(settings(key_files[0], bootstrap)) as running:
        yield running


@pytest_asyncio.fixture(scope="module")
async def cluster_id(admin: AIOKafkaAdminClient) -> str:
    described = await admin.describe_cluster()
    found: str = described["cluster_id"]
    return found


def root(gateway: RunningGateway) -> str:
    return gateway.url.removesuffix("/graphql")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def post(
    http: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str] = AUTH
) -> tuple[int, list[Any]]:
    async with http.post(url, data=body, headers=headers) as response:
        text = await response.text()
        return response.status, [json.loads(line) for line in text.splitlines()]


async def held(bootstrap: str, topic: str, count: int) -> list[Any]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(2)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        found: list[Any] = []
        while len(found) < count:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                found += [
                    (r.partition, r.key, r.value, list(r.headers), r.timestamp) for r in records
                ]
        return sorted(found, key=lambda r: (r[0], r[4]))
    finally:
        await consumer.stop()


async def test_clusters_name_kafkas_cluster_in_confluents_list_shape(
    gateway: RunningGateway,
    http: aiohttp.ClientSession,
    cluster_id: str,
    bootstrap: str,
    key_files: tuple[Path, Path],
) -> None:
    # Links start at the host the request came to, or at server.public_url when it is set.
    assert await clusters(http, root(gateway)) == listed(f"{root(gateway)}/v3/clusters", cluster_id)
    behind = settings(key_files[0], bootstrap)
    server = behind.server.model_copy(update={"public_url": "https://kafka.example.com/proxy/"})
    async with run_gateway(behind.model_copy(update={"server": server})) as running:
        assert await clusters(http, root(running)) == listed(
            "https://kafka.example.com/proxy/v3/clusters", cluster_id
        )


async def clusters(http: aiohttp.ClientSession, base: str) -> Any:
    async with http.get(f"{base}/v3/clusters", headers=AUTH) as response:
        assert response.status == 200
        return await response.json()


def listed(clusters: str, cluster_id: str) -> dict[str, Any]:
    return {
        "kind": "KafkaClusterList",
        "metadata": {"self": clusters, "next": None},
        "data": [
            {
                "kind": "KafkaCluster",
                "metadata": {
                    "self": f"{clusters}/{cluster_id}",
                    "resource_name": f"crn:///kafka={cluster_id}",
                },
                "cluster_id": cluster_id,
            }
        ],
    }


async def test_one_record_per_request_answered_and_held_as_sent(
    gateway: RunningGateway,
    http: aiohttp.ClientSession,
    new_topic: TopicFactory,
    cluster_id: str,
    bootstrap: str,
) -> None:
    topic = await new_topic(partitions=2)
    url = f"{root(gateway)}/v3/clusters/{cluster_id}/topics/{topic}/records"
    sent = [
        {
            "key": {"type": "STRING", "data": "k-1"},
            "value": {"type": "JSON", "data": {"foo": "bar"}},
            "timestamp": "2026-12-07T10:00:00.250Z",
        },
        {
            "partition_id": 1,
            "key": {"type": "BINARY", "data": b64(b"\x00k")},
            "value": {"type": "BINARY", "data": b64(b"\xff\x01")},
            "headers": [{"name": "trace", "value": b64(b"t")}, {"name": "flag", "value": None}],
            "timestamp": "2026-12-07T11:00:00+01:00",
        },
        {"value": {"type": "STRING", "data": "héllo"}, "timestamp": "2026-12-07T10:00:01Z"},
        {"key": {"data": 42}, "timestamp": "2026-12-07T10:00:02Z"},
    ]
    answers = []
    for record in sent:
        status, (answer,) = await post(http, url, json.dumps(record).encode())
        assert status == 200, answer
        answers.append(answer)
    common = {"error_code": 200, "cluster_id": cluster_id, "topic_name": topic}
    assert [{k: v for k, v in a.items() if k != "partition_id"} for a in answers] == [
        {
            **common,
            "offset": 0,
            "timestamp": "2026-12-07T10:00:00.250Z",
            "key": {"type": "STRING", "size": 3},
            "value": {"type": "JSON", "size": 13},
        },
        {
            **common,
            "offset": 0,
            "timestamp": "2026-12-07T10:00:00.000Z",
            "key": {"type": "BINARY", "size": 2},
            "value": {"type": "BINARY", "size": 2},
        },
        {
            **common,
            "offset": answers[2]["offset"],
            "timestamp": "2026-12-07T10:00:01.000Z",
            "value": {"type": "STRING", "size": 6},
        },
        {
            **common,
            "offset": answers[3]["offset"],
            "timestamp": "2026-12-07T10:00:02.000Z",
            "key": {"type": "JSON", "size": 2},
        },
    ]
    assert answers[1]["partition_id"] == 1
    records = await held(bootstrap, topic, 4)
    by_key = {r[1]: r for r in records}
    assert by_key[b"k-1"][1:] == (b"k-1", b'{"foo":"bar"}', [], 1796637600250)
    assert by_key[b"\x00k"] == (
        1,
        b"\x00k",
        b"\xff\x01",
        [("trace", b"t"), ("flag", None)],
        1796637600000,
    )
    assert by_key[None][2:4] == ("héllo".encode(), [])
    assert by_key[b"42"][2] is None  # a tombstone


async def test_a_stream_of_records_is_answered_record_by_record_as_each_arrives(
    gateway: RunningGateway, http: aiohttp.ClientSession, new_topic: TopicFactory, cluster_id: str
) -> None:
    topic = await new_topic()
    url = f"{root(gateway)}/v3/clusters/{cluster_id}/topics/{topic}/records"
    answered = asyncio.Queue[None]()

    async def records() -> AsyncIterator[bytes]:
        # Each record only once the one before it was answered: a real stream, not one body.
        yield b'{"value": {"type": "JSON", "data": 1}}'
        await answered.get()
        yield b' {"value": {"type": "JSON", "data": 2}, "nope": 1}\n{"value":'
        await answered.get()
        yield b' {"type": "STRING", "data": "three"}}{"value": {"type": "BINARY", "data": "!"}}'
        yield b'{"partition_id": 7, "value": {"data": 5}} {"value": {"data": "six"}}'

    lines = []
    async with http.post(url, data=records(), headers=AUTH) as response:
        assert (response.status, response.headers["Content-Type"]) == (200, "application/json")
        while line := await response.content.readline():
            lines.append(json.loads(line))
            answered.put_nowait(None)
    assert [(a["error_code"], a.get("offset"), a.get("message")) for a in lines] == [
        (200, 0, None),
        (
            400,
            None,
            "unknown field `nope` (a record may have headers, key, partition_id, timestamp, value)",
        ),
        (200, 1, None),
        (42203, None, "Conversion of JSON to Object failed: value.data is not valid base64"),
        (40402, None, f"topic {topic!r} has no partition 7 (it has 1)"),
        (200, 2, None),
    ]


async def test_the_produce_budget_is_the_callers_on_every_record(
    bootstrap: str,
    key_files: tuple[Path, Path],
    http: aiohttp.ClientSession,
    new_topic: TopicFactory,
    cluster_id: str,
) -> None:
    topic = await new_topic()
    limited = settings(key_files[0], bootstrap, produce_messages_per_s=2)
    async with run_gateway(limited, limits_clock=FakeClock()) as running:
        url = f"{root(running)}/v3/clusters/{cluster_id}/topics/{topic}/records"
        body = b"".join(b'{"value": {"data": %d}}' % i for i in range(3))
        status, answers = await post(http, url, body)
        assert status == 200
        assert [a["error_code"] for a in answers] == [200, 200, 42901]
        status, answers = await post(http, url, b'{"value": {"data": 4}}')
        assert [(status, a["error_code"]) for a in answers] == [(429, 42901)]


async def test_refusals(
    gateway: RunningGateway, http: aiohttp.ClientSession, new_topic: TopicFactory, cluster_id: str
) -> None:
    topic = await new_topic()
    base = f"{root(gateway)}/v3/clusters"
    path = f"{base}/{cluster_id}/topics/{topic}/records"
    record = b'{"value": {"data": 1}}'
    cases = {
        "no token": (path, record, {"Content-Type": "application/json"}, 401, 40101),
        "another cluster": (f"{base}/nope/topics/{topic}/records", record, AUTH, 404, 404),
        "a topic that does not exist": (
            f"{base}/{cluster_id}/topics/test-none-here/records",
            record,
            AUTH,
            404,
            40401,
        ),
        "another content type": (
            path,
            record,
            {**AUTH, "Content-Type": "application/vnd.kafka.json.v2+json"},
            415,
            415,
        ),
        "no record": (path, b"  ", AUTH, 400, 400),
        "not JSON": (path, b"{nope}", AUTH, 400, 400),
        "not an object": (path, b"[1]", AUTH, 400, 400),
        "a record left open": (path, b'{"value": {', AUTH, 400, 400),
        "a bad timestamp": (
            path,
            b'{"value": {"data": 1}, "timestamp": "yesterday"}',
            AUTH,
            400,
            400,
        ),
        "a type v3 has not": (path, b'{"value": {"type": "AVRO", "data": 1}}', AUTH, 400, 400),
    }
    for name, (url, body, headers, status, error_code) in cases.items():
        answered, answers = await post(http, url, body, headers)
        assert (answered, [a["error_code"] for a in answers]) == (status, [error_code]), name
