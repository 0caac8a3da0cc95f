"""The gRPC face's one seam: every call is authenticated here (metadata `authorization: Bearer
<token>`, the same checks as HTTP), is one Operation for telemetry (core/telemetry.py), current
while it runs, with `face = "grpc"`, and every error it ends with is answered here as a gRPC
status with its details (grpc/errors.py)."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TypeVar

import grpc
from google.protobuf.message import Message
from grpc import aio

from kafka_graphql.core.auth.bearer import Authenticate, bearer_token
from kafka_graphql.core.auth.principal import Principal
from kafka_graphql.core.errors import GatewayError, Unauthenticated
from kafka_graphql.core.gateway import Core
from kafka_graphql.core.request_id import CURRENT_REQUEST_ID, request_id
from kafka_graphql.core.telemetry import CURRENT_OPERATION, GRPC, Operation, Refusal
from kafka_graphql.grpc.errors import internal_error, trailers

log = logging.getLogger(__name__)

M = TypeVar("M", bound=Message)
Context = aio.ServicerContext[object, object]
LIMIT_CODES = frozenset({"COST_LIMIT_EXCEEDED", "RATE_LIMITED", "LIMIT_EXCEEDED"})


class Ended(Exception):
    """A stream that ended with `error` after it started: `cursor` resumes it."""

    def __init__(self, error: GatewayError, cursor: str | None) -> None:
        super().__init__(error.message)
        self.error = error
        self.cursor = cursor


@dataclass(frozen=True, slots=True)
class Call:
    core: Core
    principal: Principal
    operation: Operation


class Seam:
    def __init__(self, core: Core, authenticator: Authenticate | None) -> None:
        self.core = core
        self.authenticator = authenticator

    async def unary(
        self,
        context: Context,
        name: str,
        kind: str,
        size_in: int,
        work: Callable[[Call], Awaitable[M]],
    ) -> M:
        async with self.call(context, name, kind, size_in) as call:
            response = await work(call)
            call.operation.bytes_out = response.ByteSize()
            return response
        raise AssertionError("unreachable: the call ended with its error")  # pragma: no cover

    @asynccontextmanager
    async def call(
        self, context: Context, name: str, kind: str, size_in: int
    ) -> AsyncIterator[Call]:
        """The call's caller and operation; an error raised inside ends the call with its
        status (aborting: nothing after the block runs)."""
        metadata = _metadata(context)
        remote = _address(context.peer())
        rid = CURRENT_REQUEST_ID.set(request_id(metadata.get("x-request-id")))
        try:
            try:
                principal = await self._principal(metadata.get("authorization"), remote)
            except Unauthenticated as refusal:
                await _abort(context, refusal, None)
            operation = Operation(
                face=GRPC,
                operation_type=kind,
                request_id=CURRENT_REQUEST_ID.get() or "",
                principal=principal.subject or "anonymous",
                source_ip=remote,
                operation_name=name,
                bytes_in=size_in,
                started=time.monotonic(),
                traceparent=metadata.get("traceparent"),
                tracestate=metadata.get("tracestate"),
            )
            async with self._operation(context, operation):
                yield Call(self.core, principal, operation)
        finally:
            CURRENT_REQUEST_ID.reset(rid)

    @asynccontextmanager
    async def _operation(self, context: Context, operation: Operation) -> AsyncIterator[None]:
        telemetry = self.core.telemetry
        token = CURRENT_OPERATION.set(operation)
        telemetry.operation_started(operation)
        try:
            try:
                yield
            except Ended as ended:
                await self._refuse(context, operation, ended.error, ended.cursor)
            except GatewayError as error:
                await self._refuse(context, operation, error, None)
            except (aio.AbortError, grpc.RpcError):
                raise
            except Exception:
                log.exception(
                    "unexpected error answering the gRPC call %s", operation.operation_name
                )
                await self._refuse(context, operation, internal_error(), None)
        finally:
            operation.duration_s = time.monotonic() - operation.started
            telemetry.operation_ended(operation)
            CURRENT_OPERATION.reset(token)

    async def _refuse(
        self, context: Context, operation: Operation, error: GatewayError, cursor: str | None
    ) -> None:
        operation.code = error.code
        if error.code in LIMIT_CODES:
            self.core.telemetry.refused(
                Refusal(
                    "limit",
                    error.code,
                    error.code.lower(),
                    principal=operation.principal,
                    source_ip=operation.source_ip,
                    request_id=operation.request_id,
                )
            )
        await _abort(context, error, cursor)

    async def _principal(self, header: str | None, remote: str | None) -> Principal:
        authenticator = self.authenticator
        if authenticator is None:
            return Principal.anonymous(remote)
        try:
            token = bearer_token(header) if header is not None else None
        except Unauthenticated as refusal:
            authenticator.refused(refusal, remote)
            raise
        return await authenticator.authenticate(token, remote)


async def _abort(context: Context, error: GatewayError, cursor: str | None) -> None:
    code, metadata = trailers(error, cursor)
    await context.abort(code, error.message, metadata)


def _metadata(context: Context) -> dict[str, str]:
    """The call's text metadata by name (the first of a repeated one)."""
    found: dict[str, str] = {}
    for key, value in context.invocation_metadata() or ():
        if isinstance(value, str):
            found.setdefault(key, value)
    return found


def _address(peer: str) -> str | None:
    """`ipv4:127.0.0.1:5000`, `ipv6:[::1]:5000` -> the address."""
    kind, _, rest = peer.partition(":")
    if kind == "ipv6" and rest.startswith("["):
        return rest[1 : rest.find("]")]
    if kind == "ipv4":
        return rest.rpartition(":")[0]
    return rest or None
