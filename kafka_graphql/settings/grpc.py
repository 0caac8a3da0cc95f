"""The `[grpc]` table: the gRPC face (docs/grpc.md), on its own port beside the HTTP listener."""

from __future__ import annotations

from pydantic import Field

from kafka_graphql.settings.fields import Table


class GrpcSettings(Table):
    """`[grpc]`: whether the gRPC face answers, and where."""

    enabled: bool = False
    """serve the gRPC service `kafka_gateway.v1.KafkaGateway` (SendMessage, SendMessages,
    ReceiveMessages, ListTopics), with server reflection and `grpc.health.v1`, in the same
    process as the HTTP listener, with the same tokens, scopes, record rules, typed topics,
    budgets and cursors ([grpc.md](grpc.md)); TLS with `server.tls_cert_file` when it is set"""
    host: str = "127.0.0.1"
    """the gRPC listener's address"""
    port: int = Field(50051, ge=0, le=65535)
    """the gRPC listener's port (`0`: any free port, which the start-up log names); with
    `server.workers > 1` every worker binds it (SO_REUSEPORT), as the HTTP port"""
