"""The gRPC server: `grpc.aio` on the gateway's own event loop (uvloop included), in the same
process as the HTTP listener and over the same Core, on its own port (`[grpc]`); with server
reflection, the standard health service reporting the readiness `/readyz` reports (the Kafka
layer's checks), TLS from `server.tls_cert_file`/`tls_key_file` when they are set, and requests
of at most `limits.max_request_bytes`.

`GrpcServer` is started once the Kafka layer is, `stopping()` at the start of the HTTP server's
shutdown (no new call is taken from then on, a call in flight has `server.shutdown_grace_s`,
while the live streams are completed under it), and `stop()` before the Kafka layer closes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

import grpc
from grpc import aio
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from kafka_graphql.core.auth.bearer import Authenticate
from kafka_graphql.core.gateway import Core
from kafka_graphql.grpc.generated import gateway_pb2 as pb
from kafka_graphql.grpc.generated import gateway_pb2_grpc as pb_grpc
from kafka_graphql.grpc.seam import Seam
from kafka_graphql.grpc.service import KafkaGatewayService

log = logging.getLogger(__name__)

SERVICE = pb.DESCRIPTOR.services_by_name["KafkaGateway"].full_name
# How often the health service asks the Kafka layer whether the gateway is ready.
READINESS_INTERVAL_S = 2.0
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class GrpcBindError(Exception):
    """The gRPC port cannot be bound; the message is the line start-up fails with."""


class GrpcServer:
    def __init__(self, core: Core, authenticator: Authenticate | None) -> None:
        self.core = core
        settings = core.settings
        workers = settings.server.workers
        self._server = aio.server(
            options=[
                ("grpc.max_receive_message_length", settings.limits.max_request_bytes),
                # Each worker of `server.workers > 1` binds the port, as the HTTP side does;
                # one process alone is told when the port is taken.
                ("grpc.so_reuseport", 1 if workers > 1 else 0),
            ]
        )
        pb_grpc.add_KafkaGatewayServicer_to_server(
            KafkaGatewayService(Seam(core, authenticator)), self._server
        )
        self.health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self._server)
        reflection.enable_server_reflection(
            (SERVICE, health.SERVICE_NAME, reflection.SERVICE_NAME), self._server
        )
        self.port = self._bind()
        self._readiness: asyncio.Task[None] | None = None
        self._stopping: asyncio.Task[None] | None = None

    def _bind(self) -> int:
        settings = self.core.settings
        address = f"{settings.grpc.host}:{settings.grpc.port}"
        server = settings.server
        try:
            if server.tls_cert_file and server.tls_key_file:
                credentials = grpc.ssl_server_credentials(
                    [
                        (
                            Path(server.tls_key_file).read_bytes(),
                            Path(server.tls_cert_file).read_bytes(),
                        )
                    ]
                )
                return self._server.add_secure_port(address, credentials)
            return self._server.add_insecure_port(address)
        except RuntimeError as error:
            raise GrpcBindError(f"grpc: cannot listen on {address} ({error})") from None

    async def start(self) -> None:
        await self._server.start()
        await self._refresh()
        self._readiness = asyncio.create_task(self._watch(), name="grpc-readiness")
        scheme = "TLS" if self.core.settings.server.tls_cert_file else "plaintext"
        log.info("gRPC: %s:%d (%s)", self.core.settings.grpc.host, self.port, scheme)

    def stopping(self, grace_s: float) -> None:
        """Takes no new call from now on; the calls in flight have `grace_s` to finish."""
        if self._stopping is None:
            self._stopping = asyncio.create_task(self._stop(grace_s), name="grpc-stop")

    async def stop(self, grace_s: float) -> None:
        self.stopping(grace_s)
        assert self._stopping is not None
        await self._stopping

    async def _stop(self, grace_s: float) -> None:
        if self._readiness is not None:
            self._readiness.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._readiness
        await self.health.enter_graceful_shutdown()
        await self._server.stop(grace_s)

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(READINESS_INTERVAL_S)
            await self._refresh()

    async def _refresh(self) -> None:
        checks = await self.core.kafka.readiness_checks()
        status = SERVING if all(p is None for p in checks.values()) else NOT_SERVING
        for service in ("", SERVICE):
            await self.health.set(service, status)
