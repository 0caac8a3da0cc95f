"""A Python client of the gRPC face, from the code grpcio-tools generated from the repository's
.proto (kafka_graphql/grpc/generated/), and what the tests read of its errors: the status's
`google.rpc.Status` details (ErrorInfo, BadRequest, RetryInfo) and the trailing metadata."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import grpc
from google.rpc import error_details_pb2, status_pb2
from grpc import aio

from kafka_graphql.grpc.generated import gateway_pb2 as pb
from kafka_graphql.grpc.generated import gateway_pb2_grpc as pb_grpc
from kafka_graphql.server import GRPC_SERVER
from kafka_graphql.settings import GrpcSettings, Settings
from tests.gateways import RunningGateway

__all__ = ["pb", "pb_grpc"]

Metadata = tuple[tuple[str, str], ...]


def with_grpc(settings: Settings) -> Settings:
    """`settings` with the gRPC face on, on a free port."""
    return settings.model_copy(update={"grpc": GrpcSettings(enabled=True, port=0)})


def target(gateway: RunningGateway) -> str:
    return f"127.0.0.1:{gateway.app[GRPC_SERVER].port}"


def bearer(token: str) -> Metadata:
    return (("authorization", f"Bearer {token}"),)


@asynccontextmanager
async def stub_of(gateway: RunningGateway) -> AsyncIterator[pb_grpc.KafkaGatewayAsyncStub]:
    async with aio.insecure_channel(target(gateway)) as channel:
        yield pb_grpc.KafkaGatewayStub(channel)


@dataclass
class Failure:
    """What a call that failed answered."""

    code: grpc.StatusCode
    message: str
    reason: str
    domain: str
    info: dict[str, str]
    trailers: dict[str, str]
    fields: list[str] = field(default_factory=list)
    retry_ms: int | None = None


def failure(error: aio.AioRpcError) -> Failure:
    trailers: dict[str, str] = {}
    status = status_pb2.Status()
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            assert isinstance(value, bytes)
            status.ParseFromString(value)
        elif isinstance(value, str):
            trailers[key] = value
    assert status.code == error.code().value[0], (status, error)
    assert status.message == error.details()
    info = error_details_pb2.ErrorInfo()
    found = Failure(error.code(), error.details() or "", "", "", {}, trailers)
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            detail.Unpack(info)
            found.reason, found.domain, found.info = info.reason, info.domain, dict(info.metadata)
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            found.fields = [v.field for v in bad.field_violations]
        elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            retry = error_details_pb2.RetryInfo()
            detail.Unpack(retry)
            found.retry_ms = retry.retry_delay.ToMilliseconds()
    assert found.domain == "kafka-gateway", status
    return found


def json_message(json: str, key: bytes | None = None, **fields: object) -> pb.Message:
    return pb.Message(json=json, key=key, **fields)  # type: ignore[arg-type]


async def received(
    stream: aio.UnaryStreamCall[pb.ReceiveMessagesRequest, pb.ReceivedMessage], count: int
) -> list[pb.ReceivedMessage]:
    """The stream's next `count` messages."""
    messages: list[pb.ReceivedMessage] = []
    while len(messages) < count:
        message = await stream.read()
        assert message is not aio.EOF, messages
        assert isinstance(message, pb.ReceivedMessage)
        messages.append(message)
    return messages


def offsets(messages: Sequence[pb.ReceivedMessage]) -> list[int]:
    return [m.offset for m in messages]
