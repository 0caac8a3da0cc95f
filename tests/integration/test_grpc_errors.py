"""Every error mapping of the gRPC face on the real broker: the status code, its message, the
`google.rpc.Status` details (ErrorInfo: the core's code, domain `kafka-gateway`; the field path
of a refused argument; the wait of a refused budget, also as `retry-after-ms`), and a stream
ended by its delivery budget with the cursor to resume from (`kafka-gateway-cursor`)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import grpc
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer
from grpc import aio

from kafka_graphql.core.errors import GatewayError, KafkaTimeout, KafkaUnavailable
from kafka_graphql.http.state import LIMITS
from kafka_graphql.kafka import KafkaGateway, OutgoingRecord, ProduceAck
from kafka_graphql.settings import Settings
from tests.clients import GraphQLClient
from tests.clock import FakeClock
from tests.grpc_client import (
    Failure,
    bearer,
    failure,
    json_message,
    offsets,
    pb,
    received,
    stub_of,
    with_grpc,
)
from tests.integration.auth import auth_settings, key_files_fixture  # noqa: F401 (a fixture)
from tests.integration.conftest import RunningGateway, TopicFactory, run_gateway
from tests.integration.helpers import poll_until
from tests.tokens import RUN_TTL_S, claims, rsa_pair

RSA = rsa_pair()
# Made at import, used until the run ends: valid for longer than a whole `make test`.
WRITER = bearer(RSA.sign(claims(ttl_s=RUN_TTL_S)))
READER = bearer(RSA.sign(claims(ttl_s=RUN_TTL_S, scope="kafka:read:test-*")))
NOBODY = bearer(RSA.sign(claims(ttl_s=RUN_TTL_S, scope="kafka:read:other-*")))
PRODUCE = "mutation($t: String!) { produce(topic: $t, value: 1) { offset } }"
TIGHT = {
    "max_query_cost": 15,
    "cost_budget": 1000,
    "produce_messages_per_s": 3,
    "max_subscriptions_per_principal": 1,
    "delivery_messages_per_s": 2,
    "subscription_overflow": "close",
}


def settings(key_file: Path, bootstrap: str, limits: dict[str, Any] | None = None) -> Settings:
    base = auth_settings(bootstrap, key_file)
    update = {"limits": base.limits.model_copy(update=limits or {})}
    return with_grpc(base.model_copy(update=update))


@pytest_asyncio.fixture(scope="module")
async def gateway(bootstrap: str, key_files: tuple[Path, Path]) -> AsyncIterator[RunningGateway]:
    async with run_gateway(settings(key_files[0], bootstrap)) as running:
        yield running


async def refused(call: Any) -> Failure:
    with pytest.raises(aio.AioRpcError) as raised:
        await call
    return failure(raised.value)


async def test_unauthenticated(gateway: RunningGateway, new_topic: TopicFactory) -> None:
    topic = await new_topic()
    request = pb.SendMessageRequest(topic=topic, message=json_message("1"))
    async with stub_of(gateway) as stub:
        missing = await refused(stub.SendMessage(request))
        scheme = await refused(stub.SendMessage(request, metadata=(("authorization", "Basic x"),)))
        forged = await refused(stub.SendMessage(request, metadata=bearer("not.a.token")))
        stream = await refused(stub.ReceiveMessages(pb.ReceiveMessagesRequest(topic=topic)).read())
    for found in (missing, scheme, forged, stream):
        assert found.code is grpc.StatusCode.UNAUTHENTICATED
        assert found.reason == "UNAUTHENTICATED"


async def test_not_found_is_the_same_for_missing_and_invisible(
    gateway: RunningGateway, new_topic: TopicFactory
) -> None:
    topic = await new_topic()
    missing = f"{topic}-missing"
    async with stub_of(gateway) as stub:
        found = [
            await refused(
                stub.ReceiveMessages(pb.ReceiveMessagesRequest(topic=name), metadata=who).read()
            )
            for name, who in ((missing, WRITER), (topic, NOBODY))
        ]
        written = await refused(
            stub.SendMessage(
                pb.SendMessageRequest(topic=topic, message=json_message("1")), metadata=NOBODY
            )
        )
        topics = await stub.ListTopics(pb.ListTopicsRequest(), metadata=NOBODY)
    for each in (*found, written):
        assert each.code is grpc.StatusCode.NOT_FOUND and each.reason == "NOT_FOUND"
    assert found[0].message.replace(missing, topic) == found[1].message
    assert topic not in {t.name for t in topics.topics}


async def test_permission_denied(gateway: RunningGateway, new_topic: TopicFactory) -> None:
    topic = await new_topic()
    async with stub_of(gateway) as stub:
        found = await refused(
            stub.SendMessage(
                pb.SendMessageRequest(topic=topic, message=json_message("1")), metadata=READER
            )
        )
    assert found.code is grpc.StatusCode.PERMISSION_DENIED and found.reason == "FORBIDDEN"


async def test_invalid_argument_names_the_field(
    gateway: RunningGateway, new_topic: TopicFactory
) -> None:
    topic = await new_topic()
    too_many = [pb.Header(key=f"h{i}", value=b"") for i in range(65)]
    async with stub_of(gateway) as stub:
        not_json = await refused(
            stub.SendMessage(
                pb.SendMessageRequest(topic=topic, message=json_message("{nope")), metadata=WRITER
            )
        )
        headers = await refused(
            stub.SendMessages(
                pb.SendMessagesRequest(
                    topic=topic,
                    messages=[json_message("1"), pb.Message(json="2", headers=too_many)],
                ),
                metadata=WRITER,
            )
        )
        cursor = await refused(
            stub.ReceiveMessages(
                pb.ReceiveMessagesRequest(topic=topic, cursor="garbage"), metadata=WRITER
            ).read()
        )
        path = await refused(
            stub.ReceiveMessages(
                pb.ReceiveMessagesRequest(
                    topic=topic,
                    filter=pb.Filter(value=[pb.ValuePredicate(path="a..b", gt=1)]),
                ),
                metadata=WRITER,
            ).read()
        )
        # Checked before the stream starts: its initial metadata comes once it did.
        started = stub.ReceiveMessages(pb.ReceiveMessagesRequest(topic=topic), metadata=WRITER)
        assert await started.initial_metadata() is not None
        started.cancel()
    for found in (not_json, headers, cursor, path):
        assert found.code is grpc.StatusCode.INVALID_ARGUMENT
        assert found.reason == "BAD_USER_INPUT"
    assert not_json.fields == ["message.json"]
    assert headers.fields == ["messages.1.headers.64"] == [headers.info["path"]]
    assert path.fields and path.fields[0].startswith("filter.value.0")


async def test_budgets_and_caps(
    bootstrap: str,
    key_files: tuple[Path, Path],
    new_topic: TopicFactory,
    raw_producer: AIOKafkaProducer,
    http: aiohttp.ClientSession,
) -> None:
    """The cost cap, the produce budget (shared with GraphQL: its write spends it too), the
    streams cap, and the delivery budget closing a stream with its cursor. The budgets' clock
    stands still: nothing refills during the test."""
    topic = await new_topic()
    for n in range(6):
        await raw_producer.send_and_wait(topic, json.dumps(n).encode())
    async with (
        run_gateway(settings(key_files[0], bootstrap, TIGHT), FakeClock()) as limited,
        stub_of(limited) as stub,
    ):
        cost = await refused(
            stub.SendMessages(
                pb.SendMessagesRequest(topic=topic, messages=[json_message("1")] * 6),
                metadata=WRITER,
            )
        )
        sent = [
            await stub.SendMessage(
                pb.SendMessageRequest(topic=topic, message=json_message("1")), metadata=WRITER
            )
            for _ in range(2)
        ]
        graphql = GraphQLClient(http, limited.url, WRITER[0][1].removeprefix("Bearer "))
        await graphql.data(PRODUCE, {"t": topic})
        rate = await refused(
            stub.SendMessage(
                pb.SendMessageRequest(topic=topic, message=json_message("1")), metadata=WRITER
            )
        )
        # The cap: one stream open (live, from the end: it has nothing to deliver), a second
        # refused; then the first cancelled, which frees its slot.
        live = stub.ReceiveMessages(pb.ReceiveMessagesRequest(topic=topic), metadata=WRITER)
        await live.initial_metadata()
        second = await refused(
            stub.ReceiveMessages(pb.ReceiveMessagesRequest(topic=topic), metadata=WRITER).read()
        )
        live.cancel()
        state = limited.app[LIMITS].state("alice")

        async def freed() -> bool:
            return state.subscriptions == 0

        await poll_until(freed, 10, 0.01)
        stream = stub.ReceiveMessages(
            pb.ReceiveMessagesRequest(topic=topic, from_offset=0), metadata=WRITER
        )
        first = await received(stream, 2)
        closed = await refused(stream.read())
    assert len(sent) == 2 and offsets(first) == [0, 1]
    assert cost.code is grpc.StatusCode.RESOURCE_EXHAUSTED and cost.reason == "COST_LIMIT_EXCEEDED"
    for found, code in (
        (rate, "RATE_LIMITED"),
        (second, "LIMIT_EXCEEDED"),
        (closed, "RATE_LIMITED"),
    ):
        assert found.code is grpc.StatusCode.RESOURCE_EXHAUSTED and found.reason == code
        assert int(found.trailers["retry-after-ms"]) >= 0 and found.retry_ms is not None
    assert closed.trailers["kafka-gateway-cursor"] == first[-1].cursor


class FailingWrites:
    """The real Kafka layer, whose writes fail with `error` (Kafka down, or a write that was
    not acknowledged in time)."""

    def __init__(self, kafka: KafkaGateway, error: GatewayError) -> None:
        self._kafka = kafka
        self._error = error

    def __getattr__(self, name: str) -> Any:
        return getattr(self._kafka, name)

    async def produce(self, topic: str, records: Sequence[OutgoingRecord]) -> list[ProduceAck]:
        raise self._error


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (
            KafkaUnavailable("Kafka is unreachable; nothing was written"),
            grpc.StatusCode.UNAVAILABLE,
        ),
        (KafkaTimeout("not acknowledged in time"), grpc.StatusCode.DEADLINE_EXCEEDED),
    ],
)
async def test_kafka_failures(
    bootstrap: str,
    key_files: tuple[Path, Path],
    new_topic: TopicFactory,
    error: GatewayError,
    code: grpc.StatusCode,
) -> None:
    topic = await new_topic()
    config = settings(key_files[0], bootstrap)
    kafka = KafkaGateway(config.kafka)
    await kafka.start()
    try:
        failing: Any = FailingWrites(kafka, error)
        async with run_gateway(config, kafka=failing) as running, stub_of(running) as stub:
            found = await refused(
                stub.SendMessage(
                    pb.SendMessageRequest(topic=topic, message=json_message("1")), metadata=WRITER
                )
            )
    finally:
        await kafka.close()
    assert found.code is code and found.reason == error.code and found.message == error.message
