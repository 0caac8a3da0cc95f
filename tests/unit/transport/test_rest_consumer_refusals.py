"""The consumer API's refusals that come before any Kafka call (over the stand-in for Kafka,
which fails a test that reaches it), with `[auth]` on: no token (40101), a group the caller's
scopes do not name (40301), a configuration it cannot read (42204; a schema format on a
gateway without a schema registry), an instance that does not exist on every instance endpoint
(40403), and the instance bound (42901, `Retry-After`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from kafka_graphql.settings import RestSettings
from tests.clients import RestClient
from tests.gateways import RunningGateway
from tests.integration.auth import auth_settings, key_files_fixture  # noqa: F401 (a fixture)
from tests.kafka_stand_in import NotReached
from tests.tokens import claims, rsa_pair
from tests.unit.transport.serving import NO_BROKER, serve

RSA = rsa_pair()
INSTANCE = "/consumers/test-group/instances/nobody"


@pytest_asyncio.fixture(scope="module")
async def gateway(key_files: tuple[Path, Path], kafka: NotReached) -> AsyncIterator[RunningGateway]:
    settings = auth_settings(NO_BROKER, key_files[0]).model_copy(
        update={"rest": RestSettings(enabled=True, max_consumer_instances=0)}
    )
    async with serve(settings, kafka) as running:
        yield running


def client(gateway: RunningGateway, http: aiohttp.ClientSession, scope: str) -> RestClient:
    return RestClient.of(http, gateway.url, RSA.sign(claims(scope=scope)))


CONFIGS: dict[str, tuple[object, str]] = {
    "an unknown key": ({"auto.commit.interval.ms": "5"}, "unknown field 'auto.commit.interval.ms'"),
    "a format not served": (
        {"format": "protobuf"},
        "format must be one of json, binary, avro, jsonschema",
    ),
    "a schema format without a registry": (
        {"format": "jsonschema"},
        "format jsonschema needs the gateway's schema registry (schema_registry.url)",
    ),
    "a reset policy": ({"auto.offset.reset": "none"}, "auto.offset.reset must be earliest"),
    "auto commit": ({"auto.commit.enable": "yes"}, "auto.commit.enable must be true or false"),
    "fetch.min.bytes": ({"fetch.min.bytes": "many"}, "fetch.min.bytes must be a whole number"),
    "a name": ({"name": ""}, "name must be a string of 1 to 249 characters"),
    "a body": ([], "Invalid consumer configuration: unknown field"),
}


@pytest.mark.parametrize(("body", "message"), CONFIGS.values(), ids=CONFIGS)
async def test_a_configuration_it_cannot_read_is_refused(
    body: object, message: str, gateway: RunningGateway, http: aiohttp.ClientSession
) -> None:
    rest = client(gateway, http, "kafka:group:test-*")
    answer = await rest.send("POST", "/consumers/test-group", body)
    if body == []:
        assert (answer.status, answer.json()["error_code"]) == (400, 400)
        return
    assert (answer.status, answer.json()["error_code"]) == (422, 42204)
    assert message in answer.json()["message"]


INSTANCE_CALLS: dict[str, tuple[str, str, Any]] = {
    "delete": ("DELETE", "", None),
    "subscribe": ("POST", "/subscription", {"topics": ["test-x"]}),
    "subscription": ("GET", "/subscription", None),
    "unsubscribe": ("DELETE", "/subscription", None),
    "records": ("GET", "/records?timeout=10", None),
    "commit": ("POST", "/offsets", None),
    "committed": ("GET", "/offsets", {"partitions": [{"topic": "test-x", "partition": 0}]}),
    "assign": ("POST", "/assignments", {"partitions": []}),
    "assignments": ("GET", "/assignments", None),
    "seek": ("POST", "/positions", {"offsets": []}),
    "seek to the beginning": ("POST", "/positions/beginning", {"partitions": []}),
    "seek to the end": ("POST", "/positions/end", {"partitions": []}),
}


@pytest.mark.parametrize(("method", "tail", "body"), INSTANCE_CALLS.values(), ids=INSTANCE_CALLS)
async def test_every_instance_endpoint_answers_40403_for_no_instance(
    method: str, tail: str, body: Any, gateway: RunningGateway, http: aiohttp.ClientSession
) -> None:
    rest = client(gateway, http, "kafka:admin")
    answer = await rest.send(method, INSTANCE + tail, body)
    assert (answer.status, answer.json()) == (
        404,
        {"error_code": 40403, "message": "Consumer instance not found."},
    )
    anonymous = await RestClient.of(http, gateway.url).send(method, INSTANCE + tail, body)
    assert (anonymous.status, anonymous.json()["error_code"]) == (401, 40101)


GROUPS = {
    "no group scope": ("kafka:read:*", "test-group", 403, 40301),
    "another group's scope": ("kafka:group:other-*", "test-group", 403, 40301),
    "a matching scope, over the bound": ("kafka:group:test-*", "test-group", 429, 42901),
    "kafka:admin, over the bound": ("kafka:admin", "any-group", 429, 42901),
}


@pytest.mark.parametrize(("scope", "group", "status", "code"), GROUPS.values(), ids=GROUPS)
async def test_a_group_needs_its_scope_and_room(
    scope: str,
    group: str,
    status: int,
    code: int,
    gateway: RunningGateway,
    http: aiohttp.ClientSession,
) -> None:
    answer = await client(gateway, http, scope).send("POST", f"/consumers/{group}", {})
    assert (answer.status, answer.json()["error_code"]) == (status, code)
    if status == 429:
        assert answer.headers["Retry-After"] == "1"
    else:
        assert answer.json()["message"] == f"no permission to use consumer group {group!r}"
