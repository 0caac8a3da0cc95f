"""The REST face's seam over the stand-in for Kafka: tokens refused with 40101 (and what scopes
refuse with 40301 and 40401) before any Kafka call, one Operation per request with face "rest"
and the code it ended with, CORS as for GraphQL, the face off unless `[rest] enabled`, and a
produce whose records Kafka did not all take, answered record by record."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from kafka_graphql.core.errors import GatewayError, KafkaTimeout, KafkaUnavailable
from kafka_graphql.core.telemetry import CURRENT_OPERATION, Operation, Refusal, Telemetry
from kafka_graphql.kafka import OutgoingRecord, ProduceAck
from kafka_graphql.settings import RestSettings
from tests.clients import V2, RestClient
from tests.gateways import RunningGateway
from tests.integration.auth import auth_settings, key_files_fixture  # noqa: F401 (a fixture)
from tests.kafka_stand_in import NotReached
from tests.tokens import claims, rsa_pair
from tests.unit.transport.serving import NO_BROKER, serve, settings_without_kafka

RSA = rsa_pair()
INVALID = 'Bearer error="invalid_token"'
ORIGIN = "https://app.example"


class Recorded(Telemetry):
    def __init__(self) -> None:
        self.operations: list[Operation] = []
        self.refusals: list[Refusal] = []
        self.current_while_running: list[bool] = []

    def operation_started(self, operation: Operation) -> None:
        self.current_while_running.append(CURRENT_OPERATION.get() is operation)

    def operation_ended(self, operation: Operation) -> None:
        self.operations.append(operation)

    def refused(self, refusal: Refusal) -> None:
        self.refusals.append(refusal)


@pytest.fixture(scope="module")
def telemetry() -> Recorded:
    return Recorded()


@pytest_asyncio.fixture(scope="module")
async def gateway(
    key_files: tuple[Path, Path], kafka: NotReached, telemetry: Recorded
) -> AsyncIterator[RunningGateway]:
    settings = auth_settings(NO_BROKER, key_files[0]).model_copy(
        update={"rest": RestSettings(enabled=True)}
    )
    async with serve(settings, kafka, telemetry) as running:
        yield running


@pytest.fixture
def rest(gateway: RunningGateway, http: aiohttp.ClientSession) -> RestClient:
    return RestClient.of(http, gateway.url)


def token(scope: str) -> str:
    return RSA.sign(claims(scope=scope))


REFUSED_TOKENS = {
    "no token": (None, "authentication is required: send a bearer token", "Bearer"),
    "expired": (
        lambda: RSA.sign(claims(ttl_s=-60)),
        "the token has expired",
        INVALID,
    ),
    "unknown signer": (
        lambda: rsa_pair("attacker").sign(claims(), kid=None),
        "the token's signature does not verify",
        INVALID,
    ),
    "malformed": (lambda: "not.a.jwt", "the token is malformed", INVALID),
}


@pytest.mark.parametrize(
    ("make", "message", "challenge"), REFUSED_TOKENS.values(), ids=list(REFUSED_TOKENS)
)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/topics/test-x"),
        ("POST", "/topics/test-x/partitions/0"),
        ("GET", "/topics"),
        ("GET", "/topics/test-x"),
        ("GET", "/topics/test-x/partitions"),
        ("GET", "/topics/test-x/partitions/0"),
        ("GET", "/topics/test-x/partitions/0/offsets"),
        ("GET", "/brokers"),
    ],
)
async def test_every_endpoint_refuses_a_missing_or_bad_token(
    method: str,
    path: str,
    make: Any,
    message: str,
    challenge: str,
    rest: RestClient,
    http: aiohttp.ClientSession,
) -> None:
    headers = {"Authorization": f"Bearer {make()}"} if make else {}
    headers["Content-Type"] = "application/vnd.kafka.json.v2+json"
    async with http.request(
        method, rest.base + path, data=b'{"records": [{"value": 1}]}', headers=headers
    ) as answer:
        assert (answer.status, answer.headers["WWW-Authenticate"]) == (401, challenge)
        assert answer.headers["Content-Type"] == V2
        assert await answer.read() == (
            b'{"error_code":40101,"message":"' + message.encode() + b'"}'
        )


async def test_another_scheme_is_refused_as_confluent_does(rest: RestClient) -> None:
    answer = await rest.get("/topics", headers={"Authorization": "Basic YWxpY2U6c2VjcmV0"})
    assert (answer.status, answer.headers["WWW-Authenticate"]) == (401, "Bearer")
    assert answer.json()["error_code"] == 40101


async def test_a_path_no_route_serves_needs_no_token(rest: RestClient) -> None:
    answer = await rest.get("/consumers/group-1/instances/i/nothing")
    assert answer.status == 404 and answer.json()["error_code"] == 404


SCOPE_REFUSALS = {
    "write to a topic it may only read": (
        "POST", "/topics/test-x", "kafka:read:*", 403, 40301,
        "no permission to write to topic 'test-x'",
    ),
    "write to a topic it may not see": (
        "POST", "/topics/test-x", "kafka:read:other", 404, 40401, "topic 'test-x' not found",
    ),
    "describe a topic it may not see": (
        "GET", "/topics/test-x", "kafka:write:test-*", 404, 40401, "topic 'test-x' not found",
    ),
    "the offsets of a topic it may not see": (
        "GET", "/topics/test-x/partitions/0/offsets", "", 404, 40401, "topic 'test-x' not found",
    ),
    "the brokers without kafka:admin": (
        "GET", "/brokers", "kafka:read:* kafka:write:*", 403, 40301,
        "listing the cluster's brokers needs the scope kafka:admin",
    ),
}  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "scope", "status", "error_code", "message"),
    SCOPE_REFUSALS.values(),
    ids=list(SCOPE_REFUSALS),
)
async def test_scopes_refuse_before_kafka(
    method: str,
    path: str,
    scope: str,
    status: int,
    error_code: int,
    message: str,
    rest: RestClient,
) -> None:
    caller = rest.with_token(token(scope))
    if method == "POST":
        answer = await caller.post(path, {"records": [{"value": 1}]})
    else:
        answer = await caller.get(path)
    assert answer.status == status
    assert answer.json() == {"error_code": error_code, "message": message}


async def test_each_request_is_one_rest_operation(rest: RestClient, telemetry: Recorded) -> None:
    telemetry.operations.clear()
    caller = rest.with_token(token("kafka:read:*"))
    refused = await caller.post("/topics/test-x", {"records": [{"value": 1}]})
    unrouted = await caller.get("/nothing")
    unsupported = await caller.post("/topics/test-x", b"x", "text/plain")
    produce, nothing, media = telemetry.operations
    assert (produce.face, produce.operation_type, produce.operation_name) == (
        "rest",
        "mutation",
        "produce",
    )
    assert (produce.code, produce.principal, produce.topics) == ("FORBIDDEN", "alice", {"test-x"})
    assert produce.bytes_in == len(b'{"records": [{"value": 1}]}')
    assert produce.bytes_out == len(refused.body) and produce.duration_s > 0
    assert (nothing.operation_type, nothing.operation_name, nothing.code) == (
        "unknown",
        None,
        "NOT_FOUND",
    )
    assert nothing.bytes_out == len(unrouted.body) and nothing.topics == set()
    assert (media.code, media.bytes_out) == ("BAD_REQUEST", len(unsupported.body))
    assert telemetry.current_while_running[-3:] == [True, True, True]


async def test_a_refused_token_is_reported_as_an_authentication_refusal(
    rest: RestClient, telemetry: Recorded
) -> None:
    telemetry.refusals.clear()
    await rest.with_token("not.a.jwt").get("/topics")
    (refusal,) = telemetry.refusals
    assert (refusal.kind, refusal.code, refusal.reason) == (
        "authentication",
        "UNAUTHENTICATED",
        "malformed",
    )


@pytest_asyncio.fixture(scope="module")
async def open_gateway(kafka: NotReached) -> AsyncIterator[RunningGateway]:
    settings = settings_without_kafka(
        rest={"enabled": True}, server={"cors_allow_origins": [ORIGIN]}
    )
    async with serve(settings, kafka) as running:
        yield running


async def test_cors_as_for_graphql(
    open_gateway: RunningGateway, http: aiohttp.ClientSession
) -> None:
    base = open_gateway.url.removesuffix("/graphql")
    preflight = {
        "Origin": ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, authorization",
    }
    async with http.options(f"{base}/topics/test-x", headers=preflight) as answer:
        assert answer.status == 204
        assert answer.headers["Access-Control-Allow-Origin"] == ORIGIN
        assert "POST" in answer.headers["Access-Control-Allow-Methods"]
    async with http.get(f"{base}/topics/secret", headers={"Origin": ORIGIN}) as answer:
        assert answer.status == 404
        assert answer.headers["Access-Control-Allow-Origin"] == ORIGIN
    elsewhere = {"Origin": "https://evil.example"}
    async with http.get(f"{base}/topics/secret", headers=elsewhere) as answer:
        assert "Access-Control-Allow-Origin" not in answer.headers


async def test_off_unless_enabled(gateway: RunningGateway, http: aiohttp.ClientSession) -> None:
    """The transport suites' own gateway has no [rest]: its paths are aiohttp's plain 404."""
    base = gateway.url.removesuffix("/graphql")
    async with (
        serve(settings_without_kafka(), NotReached()) as without,
        http.get(without.url.removesuffix("/graphql") + "/topics") as answer,
    ):
        assert answer.status == 404
        assert answer.headers["Content-Type"].startswith("text/plain")
    async with http.get(base + "/topics") as answer:
        assert answer.status == 401


class PartlyWritten(NotReached):
    """A topic with one partition, and a write of three records Kafka takes only the first of:
    the second handed off and not acknowledged, the third never handed off."""

    async def partitions(self, topic: str) -> tuple[int, ...]:
        return (0,)

    async def produce_each(
        self, topic: str, records: Sequence[OutgoingRecord]
    ) -> list[ProduceAck | GatewayError]:
        outcomes: list[ProduceAck | GatewayError] = [
            ProduceAck(topic, 0, 41, 1000),
            KafkaTimeout("Kafka did not acknowledge the write in time"),
            KafkaUnavailable("Kafka is unreachable; nothing was written"),
        ]
        return outcomes[: len(records)]


async def test_kafka_s_outcome_is_told_record_by_record(http: aiohttp.ClientSession) -> None:
    settings = settings_without_kafka(rest={"enabled": True})
    async with serve(settings, PartlyWritten()) as running:
        rest = RestClient.of(http, running.url)
        answer = await rest.post("/topics/test-x", {"records": [{"value": n} for n in range(3)]})
    assert answer.status == 200
    assert answer.json() == {
        "offsets": [
            {"partition": 0, "offset": 41, "error_code": None, "error": None},
            {
                "partition": None,
                "offset": None,
                "error_code": 50002,
                "error": "Kafka did not acknowledge the write in time",
            },
            {
                "partition": None,
                "offset": None,
                "error_code": 50003,
                "error": "Kafka is unreachable; nothing was written",
            },
        ],
        "key_schema_id": None,
        "value_schema_id": None,
    }
