"""REST metadata on the real broker, with `[auth]` on: every endpoint as a reader of some topics
and as `kafka:admin` (configs and brokers), and a topic the caller may not read answering byte
for byte like one that does not exist, on every endpoint, produce included."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from kafka_graphql.settings import RestSettings
from tests.clients import RawResponse, RestClient
from tests.integration.auth import (  # noqa: F401 (a fixture)
    ADMIN,
    auth_settings,
    create_topic,
    key_files_fixture,
)
from tests.integration.conftest import RunningGateway, run_gateway
from tests.tokens import claims, rsa_pair

RSA = rsa_pair()
RUN = uuid.uuid4().hex[:8]
PREFIX = f"test-rest-meta-{RUN}"
TWO = f"{PREFIX}-two"  # two partitions, three records in the second
ONE = f"{PREFIX}-one"
HIDDEN = f"test-rest-hidden-{RUN}"
READER = f"kafka:read:{PREFIX}-*"


@pytest_asyncio.fixture(scope="module")
async def gateway(
    bootstrap: str,
    key_files: tuple[Path, Path],
    admin: AIOKafkaAdminClient,
    raw_producer: AIOKafkaProducer,
) -> AsyncIterator[RunningGateway]:
    await create_topic(admin, TWO, 2)
    await create_topic(admin, ONE, 1)
    await create_topic(admin, HIDDEN, 1)
    for n in range(3):
        await raw_producer.send_and_wait(TWO, b"%d" % n, partition=1)
    settings = auth_settings(bootstrap, key_files[0]).model_copy(
        update={"rest": RestSettings(enabled=True)}
    )
    async with run_gateway(settings) as running:
        yield running


@pytest_asyncio.fixture(scope="module")
async def broker(admin: AIOKafkaAdminClient) -> int:
    (only,) = (await admin.describe_cluster())["brokers"]
    broker_id: int = only["node_id"]
    return broker_id


def client(gateway: RunningGateway, http: aiohttp.ClientSession, scope: str) -> RestClient:
    return RestClient.of(http, gateway.url, RSA.sign(claims(scope=scope)))


def partition(number: int, broker: int) -> dict[str, Any]:
    replica = {"broker": broker, "leader": True, "in_sync": True}
    return {"partition": number, "leader": broker, "replicas": [replica]}


def reader_answers(broker: int) -> dict[str, tuple[int, Any]]:
    """What a reader of PREFIX-* gets, by path."""
    two = [partition(0, broker), partition(1, broker)]
    return {
        "/topics": (200, [ONE, TWO]),
        f"/topics/{TWO}": (200, {"name": TWO, "configs": {}, "partitions": two}),
        f"/topics/{ONE}": (200, {"name": ONE, "configs": {}, "partitions": [partition(0, broker)]}),
        f"/topics/{TWO}/partitions": (200, two),
        f"/topics/{TWO}/partitions/1": (200, two[1]),
        f"/topics/{TWO}/partitions/1/offsets": (200, {"beginning_offset": 0, "end_offset": 3}),
        f"/topics/{TWO}/partitions/0/offsets": (200, {"beginning_offset": 0, "end_offset": 0}),
        f"/topics/{TWO}/partitions/2": (
            404,
            {"error_code": 40402, "message": f"topic '{TWO}' has no partition 2"},
        ),
        f"/topics/{TWO}/partitions/2/offsets": (
            404,
            {"error_code": 40402, "message": f"topic '{TWO}' has no partition 2"},
        ),
        f"/topics/{HIDDEN}": (404, {"error_code": 40401, "message": f"topic '{HIDDEN}' not found"}),
        "/brokers": (
            403,
            {
                "error_code": 40301,
                "message": "listing the cluster's brokers needs the scope kafka:admin",
            },
        ),
    }


PATHS = list(reader_answers(0))


@pytest.mark.parametrize("path", PATHS)
async def test_a_reader_sees_what_it_may_read(
    path: str, gateway: RunningGateway, http: aiohttp.ClientSession, broker: int
) -> None:
    answer = await client(gateway, http, READER).get(path)
    assert answer.headers["Content-Type"] == "application/vnd.kafka.v2+json"
    assert (answer.status, answer.json()) == reader_answers(broker)[path]


async def test_kafka_admin_sees_configs_and_brokers(
    gateway: RunningGateway, http: aiohttp.ClientSession, broker: int
) -> None:
    operator = client(gateway, http, ADMIN)
    names = (await operator.get("/topics")).json()
    assert {ONE, TWO, HIDDEN} <= set(names) and names == sorted(names)
    assert all(name.startswith("test-") for name in names)  # the exposed ones only
    topic = (await operator.get(f"/topics/{TWO}")).json()
    assert topic["partitions"] == [partition(0, broker), partition(1, broker)]
    configs = topic["configs"]
    assert configs["cleanup.policy"] == "delete" and len(configs) > 10
    assert (await operator.get("/brokers")).json() == {"brokers": [broker]}


def same(first: RawResponse, second: RawResponse) -> bool:
    """Byte for byte, but for the moment each was answered and the request's own id."""
    stamp = {"Date", "X-Request-ID"}
    return (
        first.status == second.status
        and first.body == second.body
        and {k: v for k, v in first.headers.items() if k not in stamp}
        == {k: v for k, v in second.headers.items() if k not in stamp}
    )


async def answers(rest: RestClient, topic: str) -> list[RawResponse]:
    return [
        await rest.get(f"/topics/{topic}"),
        await rest.get(f"/topics/{topic}/partitions"),
        await rest.get(f"/topics/{topic}/partitions/0"),
        await rest.get(f"/topics/{topic}/partitions/0/offsets"),
        await rest.post(f"/topics/{topic}", {"records": [{"value": 1}]}),
        await rest.post(f"/topics/{topic}/partitions/0", {"records": [{"value": 1}]}),
    ]


async def test_a_topic_it_may_not_read_answers_as_one_that_does_not_exist(
    gateway: RunningGateway, http: aiohttp.ClientSession, admin: AIOKafkaAdminClient
) -> None:
    late = f"test-rest-late-{RUN}"
    stranger = client(gateway, http, f"{READER} kafka:write:{PREFIX}-*")
    operator = client(gateway, http, ADMIN)
    missing_to_stranger = await answers(stranger, late)
    missing_to_operator = await answers(operator, late)
    await create_topic(admin, late, 1)
    invisible = await answers(stranger, late)
    for one, two, three in zip(missing_to_stranger, missing_to_operator, invisible, strict=True):
        assert one.status == 404 and one.json()["error_code"] == 40401
        assert same(one, two) and same(one, three)
    assert (await operator.get(f"/topics/{late}")).status == 200
