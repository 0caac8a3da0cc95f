"""What the GraphQL face reports through the telemetry seam (core/telemetry.py), over the
stand-in for Kafka: each operation once, with its type, name and code, also when it is refused
before it began; authentication refusals with their reason; WebSocket connections opened and
closed. (What the sinks make of it, and writes and deliveries on the real broker: the sinks'
own suites.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from kafka_graphql.core.telemetry import Operation, Refusal, Telemetry
from tests.clients import GraphQLClient
from tests.gateways import RunningGateway
from tests.integration.auth import auth_settings, key_files_fixture  # noqa: F401 (a fixture)
from tests.kafka_stand_in import NotReached
from tests.tokens import HS_SECRET, HS_SECRET_ENV, claims, hs_token
from tests.unit.transport.serving import NO_BROKER, serve

# A key of the right length that is not the gateway's: a signature that does not verify.
OTHER_SECRET = "another secret, long enough for HS256!"


class Recording(Telemetry):
    def __init__(self) -> None:
        self.started: list[Operation] = []
        self.ended: list[Operation] = []
        self.refusals: list[Refusal] = []
        self.connections: list[tuple[str, ...]] = []
        self.closed = asyncio.Event()

    def operation_started(self, operation: Operation) -> None:
        self.started.append(operation)

    def operation_ended(self, operation: Operation) -> None:
        self.ended.append(operation)

    def refused(self, refusal: Refusal) -> None:
        self.refusals.append(refusal)

    def connection_opened(self, transport: str, principal: str, source_ip: str | None) -> None:
        self.connections.append(("opened", transport, principal))

    def connection_closed(
        self, transport: str, principal: str, close_code: int | None, duration_s: float
    ) -> None:
        assert duration_s >= 0
        self.connections.append(("closed", transport, principal, str(close_code)))
        self.closed.set()


@pytest.fixture(scope="module")
def recording() -> Recording:
    return Recording()


@pytest_asyncio.fixture(scope="module")
async def gateway(
    key_files: tuple[Path, Path], kafka: NotReached, recording: Recording
) -> AsyncIterator[RunningGateway]:
    settings = auth_settings(
        NO_BROKER,
        key_files[0],
        {"algorithms": ["HS256"], "hs_secret_env": HS_SECRET_ENV},
        environ={HS_SECRET_ENV: HS_SECRET},
    )
    async with serve(settings, kafka, recording) as running:
        yield running


@pytest.fixture
def alice(gateway: RunningGateway, http: aiohttp.ClientSession) -> GraphQLClient:
    return GraphQLClient(http, gateway.url, hs_token(claims()))


@pytest.fixture(autouse=True)
def fresh(recording: Recording) -> None:
    recording.__init__()  # type: ignore[misc]


async def test_an_operation_is_reported_once_with_its_type_name_code_and_size(
    alice: GraphQLClient, recording: Recording
) -> None:
    raw = await alice.raw("query Mine { __typename }")
    assert raw.status == 200
    (operation,) = recording.ended
    assert recording.started == [operation]
    assert (operation.face, operation.operation_type, operation.operation_name) == (
        "graphql",
        "query",
        "Mine",
    )
    assert (operation.code, operation.principal) == ("OK", "alice")
    assert operation.bytes_out == len(raw.body)
    assert operation.bytes_in > 0
    assert operation.duration_s > 0
    assert operation.cost == 0


async def test_an_operation_ends_with_its_first_error_code(
    alice: GraphQLClient, recording: Recording
) -> None:
    assert await alice.error_codes("query { nope }") == ["GRAPHQL_VALIDATION_FAILED"]
    (operation,) = recording.ended
    assert (operation.operation_type, operation.code) == ("query", "GRAPHQL_VALIDATION_FAILED")


async def test_a_request_refused_before_its_operation_began_is_reported(
    alice: GraphQLClient, recording: Recording
) -> None:
    text = {**alice.headers, "Content-Type": "text/plain"}
    raw = await alice.raw("query A { __typename }", headers=text)
    assert raw.status == 400
    unknown = await alice.session.post(
        alice.url,
        json={"query": "query A { __typename }", "operationName": "B"},
        headers=alice.headers,
    )
    assert unknown.status == 400
    assert [(o.operation_type, o.code) for o in recording.ended] == [
        ("unknown", "BAD_REQUEST"),
        ("unknown", "BAD_REQUEST"),
    ]


# Tokens are made when the test runs (made at collection, a valid token could expire first).
@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        (lambda: None, "missing"),
        (lambda: "Basic YWxpY2U6c2VjcmV0", "malformed"),
        (lambda: "Bearer not.a.token", "malformed"),
        (lambda: f"Bearer {hs_token(claims(ttl_s=-60))}", "expired"),
        (lambda: f"Bearer {hs_token(claims(), secret=OTHER_SECRET)}", "bad_signature"),
        (lambda: f"Bearer {hs_token(claims(aud='someone-else'))}", "wrong_audience"),
        (lambda: f"Bearer {hs_token(claims(iss='https://elsewhere'))}", "wrong_issuer"),
    ],
    ids=["missing", "not bearer", "not a token", "expired", "signature", "audience", "issuer"],
)
async def test_authentication_refusals_are_reported_with_their_reason(
    alice: GraphQLClient,
    recording: Recording,
    authorization: Callable[[], str | None],
    reason: str,
) -> None:
    header = authorization()
    headers = {"Authorization": header} if header else {}
    raw = await alice.raw("{ __typename }", headers=headers)
    assert raw.status == 401
    assert [(r.kind, r.code, r.reason) for r in recording.refusals] == [
        ("authentication", "UNAUTHENTICATED", reason)
    ]
    assert recording.refusals[0].source_ip == "127.0.0.1"


async def test_websocket_connections_are_reported_opened_and_closed(
    alice: GraphQLClient, recording: Recording
) -> None:
    received, closed = await alice.connection_init({"Authorization": f"Bearer {alice.token}"})
    assert received[-1]["type"] == "connection_ack"
    assert closed is None
    # The client closed the socket as connection_init returned; the server reports it once it
    # has seen the close.
    async with asyncio.timeout(10):
        await recording.closed.wait()
    assert recording.connections == [
        ("opened", "graphql-transport-ws", "anonymous"),
        ("closed", "graphql-transport-ws", "alice", "1000"),
    ]
