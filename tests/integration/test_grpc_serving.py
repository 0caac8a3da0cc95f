"""How the gRPC face is served, on the real broker: TLS from the HTTP certificate settings,
requests over `limits.max_request_bytes` refused by gRPC itself, a port already taken refused at
start-up, and a graceful shutdown that ends a stream in flight with UNAVAILABLE and the cursor to
resume from on another instance."""

from __future__ import annotations

import json

import grpc
import pytest
from aiohttp import web
from grpc import aio

from kafka_graphql.grpc import GrpcBindError
from kafka_graphql.grpc.generated import gateway_pb2_grpc as pb_grpc
from kafka_graphql.server import GRPC_SERVER, create_app
from kafka_graphql.settings import GrpcSettings, settings_from_mapping
from tests.certificates import make_certificates
from tests.grpc_client import failure, json_message, pb, received, stub_of, with_grpc
from tests.integration.conftest import TopicFactory, gateway_settings, run_gateway


async def test_tls_from_the_http_settings(
    bootstrap: str, new_topic: TopicFactory, tmp_path_factory: pytest.TempPathFactory
) -> None:
    certs = make_certificates(tmp_path_factory.mktemp("grpc-tls"))
    settings = settings_from_mapping(
        {
            "kafka": {"bootstrap_servers": bootstrap, "metadata_max_age_s": 0},
            "server": {"tls_cert_file": str(certs.cert), "tls_key_file": str(certs.key)},
            "grpc": {"enabled": True, "port": 0},
            "metrics": {"enabled": False},
            "topics": [{"name": "test-*"}],
        }
    )
    topic = await new_topic()
    async with run_gateway(settings) as gateway:
        port = gateway.app[GRPC_SERVER].port
        trusted = grpc.ssl_channel_credentials(root_certificates=certs.ca.read_bytes())
        async with aio.secure_channel(f"localhost:{port}", trusted) as channel:
            stub = pb_grpc.KafkaGatewayStub(channel)
            sent = await stub.SendMessage(
                pb.SendMessageRequest(topic=topic, message=json_message("1"))
            )
            assert sent.offset == 0
        async with aio.insecure_channel(f"127.0.0.1:{port}") as plain:
            with pytest.raises(aio.AioRpcError) as refused:
                await pb_grpc.KafkaGatewayStub(plain).ListTopics(pb.ListTopicsRequest(), timeout=5)
            assert refused.value.code() is grpc.StatusCode.UNAVAILABLE


async def test_request_size_and_port_taken(bootstrap: str, new_topic: TopicFactory) -> None:
    topic = await new_topic()
    settings = with_grpc(gateway_settings(bootstrap, max_request_bytes=1024))
    async with run_gateway(settings) as gateway, stub_of(gateway) as stub:
        with pytest.raises(aio.AioRpcError) as big:
            await stub.SendMessage(
                pb.SendMessageRequest(topic=topic, message=json_message(json.dumps("x" * 2000)))
            )
        assert big.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
        # Not run_gateway: it moves a gateway's gRPC face to a free port.
        taken = GrpcSettings(enabled=True, port=gateway.app[GRPC_SERVER].port)
        runner = web.AppRunner(create_app(settings.model_copy(update={"grpc": taken})))
        try:
            with pytest.raises(GrpcBindError, match="cannot listen on"):
                await runner.setup()
        finally:
            await runner.cleanup()


async def test_shutdown_ends_a_stream_with_its_cursor(
    bootstrap: str, new_topic: TopicFactory
) -> None:
    topic = await new_topic()
    async with (
        run_gateway(with_grpc(gateway_settings(bootstrap))) as gateway,
        stub_of(gateway) as stub,
    ):
        await stub.SendMessages(
            pb.SendMessagesRequest(topic=topic, messages=[json_message("1")] * 2)
        )
        stream = stub.ReceiveMessages(pb.ReceiveMessagesRequest(topic=topic, from_offset=0))
        delivered = await received(stream, 2)
        await gateway.stop()
        with pytest.raises(aio.AioRpcError) as ended:
            await stream.read()
    found = failure(ended.value)
    assert found.code is grpc.StatusCode.UNAVAILABLE and found.reason == "SHUTTING_DOWN"
    assert found.trailers["kafka-gateway-cursor"] == delivered[-1].cursor
