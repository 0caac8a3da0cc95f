"""The gRPC face's errors: a status code mapped once from the core's (docs/grpc.md has the
table), its message, and `google.rpc.Status` details (`grpc-status-details-bin`) with an
`ErrorInfo` whose `reason` is the core's code and `domain` is `kafka-gateway`; with the field
path of a refused argument (`BadRequest`), and the wait of a refusal for budget (`RetryInfo`,
and the trailing metadata `retry-after-ms`). A stream that ends with an error names the cursor
to resume from in the trailing metadata `kafka-gateway-cursor`."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import error_details_pb2, status_pb2

from kafka_graphql.core.errors import (
    BadRequest,
    BadUserInput,
    Conflict,
    CostLimitExceeded,
    CursorExpired,
    Forbidden,
    GatewayError,
    KafkaTimeout,
    KafkaUnavailable,
    LimitExceeded,
    NotFound,
    RateLimited,
    SchemaRegistryUnavailable,
    ShuttingDown,
    Unauthenticated,
)

DOMAIN = "kafka-gateway"
DETAILS_KEY = "grpc-status-details-bin"
RETRY_AFTER_KEY = "retry-after-ms"
CURSOR_KEY = "kafka-gateway-cursor"
INTERNAL_MESSAGE = "Internal server error"

# The core's errors (a class's entry serves its subclasses without one of their own).
CODES: Mapping[type[GatewayError], grpc.StatusCode] = {
    Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
    Forbidden: grpc.StatusCode.PERMISSION_DENIED,
    NotFound: grpc.StatusCode.NOT_FOUND,
    BadUserInput: grpc.StatusCode.INVALID_ARGUMENT,
    BadRequest: grpc.StatusCode.INVALID_ARGUMENT,
    RateLimited: grpc.StatusCode.RESOURCE_EXHAUSTED,
    LimitExceeded: grpc.StatusCode.RESOURCE_EXHAUSTED,
    CostLimitExceeded: grpc.StatusCode.RESOURCE_EXHAUSTED,
    KafkaUnavailable: grpc.StatusCode.UNAVAILABLE,
    KafkaTimeout: grpc.StatusCode.DEADLINE_EXCEEDED,
    ShuttingDown: grpc.StatusCode.UNAVAILABLE,
    SchemaRegistryUnavailable: grpc.StatusCode.UNAVAILABLE,
    Conflict: grpc.StatusCode.FAILED_PRECONDITION,
    # Out of what the log still holds (gRPC's own words for a position beyond a valid range).
    CursorExpired: grpc.StatusCode.OUT_OF_RANGE,
    GatewayError: grpc.StatusCode.INTERNAL,
}

Metadata = tuple[tuple[str, str | bytes], ...]


def status_code(error: GatewayError) -> grpc.StatusCode:
    for cls in type(error).__mro__:
        found = CODES.get(cls)
        if found is not None:
            return found
    return grpc.StatusCode.INTERNAL


def field_path(error: GatewayError) -> str | None:
    """The refused argument's path in the request's own names (`messages.3.value.total`)."""
    path = error.extensions.get("path")
    if not isinstance(path, Sequence) or isinstance(path, str) or not path:
        return None
    return ".".join(str(p) for p in path)


def retry_after_ms(error: GatewayError) -> int | None:
    retry_after = error.extensions.get("retryAfter")
    if not isinstance(retry_after, int | float):
        return 1000 if status_code(error) is grpc.StatusCode.RESOURCE_EXHAUSTED else None
    return max(0, int(retry_after * 1000))


def trailers(error: GatewayError, cursor: str | None = None) -> tuple[grpc.StatusCode, Metadata]:
    """The status code and trailing metadata (details first) of a call that ends with
    `error`; `cursor`: where a stream that ended resumes."""
    code = status_code(error)
    info = error_details_pb2.ErrorInfo(reason=error.code, domain=DOMAIN)
    path = field_path(error)
    details = [info]
    if path is not None:
        info.metadata["path"] = path
        violation = error_details_pb2.BadRequest.FieldViolation(
            field=path, description=error.message
        )
        details.append(error_details_pb2.BadRequest(field_violations=[violation]))
    metadata: list[tuple[str, str | bytes]] = []
    wait = retry_after_ms(error)
    if wait is not None:
        info.metadata["retryAfterMs"] = str(wait)
        delay = duration_pb2.Duration()
        delay.FromMilliseconds(wait)
        details.append(error_details_pb2.RetryInfo(retry_delay=delay))
        metadata.append((RETRY_AFTER_KEY, str(wait)))
    earliest = error.extensions.get("earliest")
    if earliest is not None:
        # [{partition, offset}] as JSON: ErrorInfo's metadata holds strings.
        info.metadata["earliest"] = json.dumps(earliest, separators=(",", ":"))
    if cursor is not None:
        info.metadata["cursor"] = cursor
        metadata.append((CURSOR_KEY, cursor))
    status = status_pb2.Status(code=code.value[0], message=error.message)
    for detail in details:
        packed = any_pb2.Any()
        packed.Pack(detail)
        status.details.append(packed)
    return code, ((DETAILS_KEY, status.SerializeToString()), *metadata)


def internal_error() -> GatewayError:
    """What an unexpected failure answers (logged where it happened, never shown)."""
    return GatewayError(INTERNAL_MESSAGE)
