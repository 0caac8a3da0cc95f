"""The gRPC face: `kafka_gateway.v1.KafkaGateway` (proto/kafka_gateway/v1/gateway.proto) over
the core, on its own port (docs/grpc.md)."""

from kafka_graphql.grpc.serving import GrpcBindError, GrpcServer

__all__ = ["GrpcBindError", "GrpcServer"]
