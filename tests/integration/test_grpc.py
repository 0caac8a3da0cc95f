"""The gRPC face on the real broker, with the Python client generated from the repository's
.proto: every RPC; a stream resumed by cursor after cancelling it, on another replica, with no
gap and no duplicate; a GraphQL page's cursor starting a stream; a token expiring mid-stream;
reflection and health."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import grpc
import pytest
import pytest_asyncio
from aiokafka.admin import AIOKafkaAdminClient
from grpc import aio
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from kafka_graphql.settings import Settings
from tests.clients import GraphQLClient
from tests.grpc_client import (
    bearer,
    failure,
    json_message,
    offsets,
    pb,
    received,
    stub_of,
    target,
    with_grpc,
)
from tests.integration.auth import (  # noqa: F401 (a fixture)
    auth_settings,
    create_topic,
    key_files_fixture,
)
from tests.integration.conftest import RunningGateway, TopicFactory, run_gateway
from tests.integration.gaps import delete_before
from tests.tokens import RUN_TTL_S, claims, rsa_pair

RSA = rsa_pair()
# Made at import, used until the run ends: valid for longer than a whole `make test`.
TOKEN = RSA.sign(claims(ttl_s=RUN_TTL_S))
AUTH = bearer(TOKEN)


def settings(key_file: Path, bootstrap: str) -> Settings:
    return with_grpc(auth_settings(bootstrap, key_file))


@pytest_asyncio.fixture(scope="module")
async def replicas(
    bootstrap: str, key_files: tuple[Path, Path]
) -> AsyncIterator[tuple[RunningGateway, RunningGateway]]:
    """Two gateways of one deployment (the same cursor keys and settings)."""
    async with (
        run_gateway(settings(key_files[0], bootstrap)) as first,
        run_gateway(settings(key_files[0], bootstrap)) as second,
    ):
        yield first, second


async def send(gateway: RunningGateway, topic: str, count: int, start: int = 0) -> None:
    async with stub_of(gateway) as stub:
        messages = [json_message(json.dumps({"n": start + i})) for i in range(count)]
        await stub.SendMessages(
            pb.SendMessagesRequest(topic=topic, messages=messages), metadata=AUTH
        )


async def test_send_receive_and_list(
    replicas: tuple[RunningGateway, RunningGateway], new_topic: TopicFactory
) -> None:
    gateway = replicas[0]
    topic = await new_topic()
    async with stub_of(gateway) as stub:
        sent = await stub.SendMessage(
            pb.SendMessageRequest(
                topic=topic,
                message=pb.Message(
                    key=b"k1",
                    json='{"total": 12.5, "items": ["a"]}',
                    headers=[pb.Header(key="source", value=b"grpc")],
                ),
            ),
            metadata=AUTH,
        )
        assert (sent.topic, sent.partition, sent.offset) == (topic, 0, 0)
        assert sent.timestamp.ToMilliseconds() > 0
        binary = await stub.SendMessage(
            pb.SendMessageRequest(topic=topic, message=pb.Message(binary=b"\xff\x00raw")),
            metadata=AUTH,
        )
        assert binary.offset == 1
        batch = await stub.SendMessages(
            pb.SendMessagesRequest(
                topic=topic, messages=[json_message('"two"'), json_message("3", key=b"k3")]
            ),
            metadata=AUTH,
        )
        assert [r.offset for r in batch.results] == [2, 3]
        stream = stub.ReceiveMessages(
            pb.ReceiveMessagesRequest(topic=topic, from_offset=0), metadata=AUTH
        )
        first, second, third, fourth = await received(stream, 4)
        stream.cancel()
        topics = await stub.ListTopics(pb.ListTopicsRequest(), metadata=AUTH)
    assert json.loads(first.json) == {"total": 12.5, "items": ["a"]}
    assert first.key == b"k1" and first.raw == b'{"total":12.5,"items":["a"]}'
    assert [(h.key, h.value) for h in first.headers] == [("source", b"grpc")]
    assert first.timestamp == sent.timestamp and first.cursor and first.skipped == 0
    assert not second.HasField("key") and second.raw == b"\xff\x00raw"
    assert json.loads(second.json) == {"$binary": {"encoding": "base64", "data": "/wByYXc="}}
    assert json.loads(third.json) == "two" and json.loads(fourth.json) == 3
    listed = {t.name: t for t in topics.topics}
    assert listed[topic].partitions == 1 and not listed[topic].HasField("type")


async def test_resume_after_cancel_on_another_replica(
    replicas: tuple[RunningGateway, RunningGateway], new_topic: TopicFactory
) -> None:
    """Cancelled after 3 of 6, resumed on the other replica from the third's cursor: 4, 5, 6,
    then the live ones, with no gap and no duplicate."""
    first, second = replicas
    topic = await new_topic(partitions=3)
    await send(first, topic, 6)
    async with stub_of(first) as stub:
        stream = stub.ReceiveMessages(
            pb.ReceiveMessagesRequest(topic=topic, from_offset=0), metadata=AUTH
        )
        before = await received(stream, 3)
        stream.cancel()
    async with stub_of(second) as stub:
        resumed = stub.ReceiveMessages(
            pb.ReceiveMessagesRequest(topic=topic, cursor=before[-1].cursor), metadata=AUTH
        )
        after = await received(resumed, 3)
        await send(second, topic, 2, start=6)
        after += await received(resumed, 2)
        resumed.cancel()
    seen = [json.loads(m.json)["n"] for m in before + after]
    assert sorted(seen) == list(range(8))
    assert len({(m.partition, m.offset) for m in before + after}) == 8


async def test_graphql_page_cursor_starts_a_stream(
    replicas: tuple[RunningGateway, RunningGateway],
    new_topic: TopicFactory,
    http: aiohttp.ClientSession,
) -> None:
    gateway = replicas[0]
    topic = await new_topic()
    await send(gateway, topic, 4)
    client = GraphQLClient(http, gateway.url, TOKEN)
    page = await client.data(
        "query($t: String!) { messages(topic: $t, limit: 2) { nextCursor messages { offset } } }",
        {"t": topic},
    )
    assert [m["offset"] for m in page["messages"]["messages"]] == [0, 1]
    async with stub_of(gateway) as stub:
        stream = stub.ReceiveMessages(
            pb.ReceiveMessagesRequest(topic=topic, cursor=page["messages"]["nextCursor"]),
            metadata=AUTH,
        )
        assert offsets(await received(stream, 2)) == [2, 3]
        stream.cancel()


async def test_token_expiry_ends_the_stream_with_its_cursor(
    replicas: tuple[RunningGateway, RunningGateway], new_topic: TopicFactory
) -> None:
    gateway = replicas[0]
    topic = await new_topic()
    await send(gateway, topic, 2)
    # Between 2 and 3 s left (`exp` is whole seconds): enough to open the stream on a busy machine.
    short = RSA.sign(claims(ttl_s=3))
    async with stub_of(gateway) as stub:
        stream = stub.ReceiveMessages(
            pb.ReceiveMessagesRequest(topic=topic, from_offset=0), metadata=bearer(short)
        )
        delivered = await received(stream, 2)
        with pytest.raises(aio.AioRpcError) as ended:
            await stream.read()
        found = failure(ended.value)
        assert found.code is grpc.StatusCode.UNAUTHENTICATED
        assert found.reason == "UNAUTHENTICATED"
        assert found.trailers["kafka-gateway-cursor"] == delivered[-1].cursor
        await send(gateway, topic, 1, start=2)
        resumed = stub.ReceiveMessages(
            pb.ReceiveMessagesRequest(topic=topic, cursor=found.trailers["kafka-gateway-cursor"]),
            metadata=AUTH,
        )
        assert offsets(await received(resumed, 1)) == [2]
        resumed.cancel()


async def test_reflection_and_health(replicas: tuple[RunningGateway, RunningGateway]) -> None:
    async with aio.insecure_channel(target(replicas[0])) as channel:
        # Their stubs type the synchronous channel only.
        health: Any = health_pb2_grpc.HealthStub(channel)
        for service in ("", "kafka_gateway.v1.KafkaGateway"):
            answer = await health.Check(health_pb2.HealthCheckRequest(service=service))
            assert answer.status == health_pb2.HealthCheckResponse.SERVING
        reflection: Any = reflection_pb2_grpc.ServerReflectionStub(channel)  # type: ignore[arg-type]
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        async for answer in reflection.ServerReflectionInfo(iter([request])):
            names = {s.name for s in answer.list_services_response.service}
            break
    assert {"kafka_gateway.v1.KafkaGateway", "grpc.health.v1.Health"} <= names


async def test_a_stream_resumed_past_deleted_records_says_how_many_expired(
    replicas: tuple[RunningGateway, RunningGateway],
    new_topic: TopicFactory,
    admin: AIOKafkaAdminClient,
) -> None:
    """Records 0-9; the cursor after record 0; records below 5 deleted (as retention would):
    the stream goes on at 5 and its first message says 4 were gone (docs/api.md "When records
    are gone"); with ON_GAP_FAIL it ends OUT_OF_RANGE before sending anything."""
    gateway = replicas[0]
    topic = await new_topic()
    await send(gateway, topic, 10)
    async with stub_of(gateway) as stub:
        first = stub.ReceiveMessages(
            pb.ReceiveMessagesRequest(topic=topic, from_offset=0), metadata=AUTH
        )
        (zero,) = await received(first, 1)
        first.cancel()
        await delete_before(admin, topic, 5)
        resumed = stub.ReceiveMessages(
            pb.ReceiveMessagesRequest(topic=topic, cursor=zero.cursor), metadata=AUTH
        )
        got = await received(resumed, 2)
        resumed.cancel()
        assert [(m.offset, m.expired, m.reset) for m in got] == [(5, 4, False), (6, 0, False)]
        failing = stub.ReceiveMessages(
            pb.ReceiveMessagesRequest(topic=topic, cursor=zero.cursor, on_gap=pb.ON_GAP_FAIL),
            metadata=AUTH,
        )
        with pytest.raises(aio.AioRpcError) as ended:
            await failing.read()
    found = failure(ended.value)
    assert (found.code, found.reason) == (grpc.StatusCode.OUT_OF_RANGE, "CURSOR_EXPIRED")
    assert json.loads(found.info["earliest"]) == [{"partition": 0, "offset": 5}]
