"""The gRPC face's one map from the core's errors to status codes (docs/grpc.md has the table),
and the details every error carries: ErrorInfo (the core's code, domain `kafka-gateway`), the
field path of a refused argument, the wait of a refused budget, a stream's cursor."""

from __future__ import annotations

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2

from kafka_graphql.core.consumer_instances import NoSuchConsumer
from kafka_graphql.core.errors import (
    BadRequest,
    BadUserInput,
    Conflict,
    CostLimitExceeded,
    Forbidden,
    GatewayError,
    InvalidToken,
    InvalidValue,
    KafkaTimeout,
    KafkaUnavailable,
    LimitExceeded,
    NoSuchPartition,
    NotFound,
    RateLimited,
    SchemaRegistryUnavailable,
    ShuttingDown,
    StreamFailed,
    Unauthenticated,
)
from kafka_graphql.grpc.errors import CURSOR_KEY, DETAILS_KEY, RETRY_AFTER_KEY, trailers

S = grpc.StatusCode
TABLE = [
    (Unauthenticated("no token"), S.UNAUTHENTICATED),
    (InvalidToken("expired", reason="expired"), S.UNAUTHENTICATED),
    (Forbidden("no"), S.PERMISSION_DENIED),
    (NotFound.topic("t"), S.NOT_FOUND),
    (NoSuchConsumer("gone"), S.NOT_FOUND),
    (BadUserInput("bad"), S.INVALID_ARGUMENT),
    (InvalidValue("bad value", path=["total"]), S.INVALID_ARGUMENT),
    (NoSuchPartition("no partition 9"), S.INVALID_ARGUMENT),
    (BadRequest("bad request"), S.INVALID_ARGUMENT),
    (RateLimited("spent", retryAfter=3), S.RESOURCE_EXHAUSTED),
    (LimitExceeded("too many"), S.RESOURCE_EXHAUSTED),
    (CostLimitExceeded("too dear"), S.RESOURCE_EXHAUSTED),
    (KafkaUnavailable("down"), S.UNAVAILABLE),
    (KafkaTimeout("maybe"), S.DEADLINE_EXCEEDED),
    (ShuttingDown("bye"), S.UNAVAILABLE),
    (SchemaRegistryUnavailable("registry"), S.UNAVAILABLE),
    (Conflict("not assigned"), S.FAILED_PRECONDITION),
    (StreamFailed("failed"), S.INTERNAL),
    (GatewayError("Internal server error"), S.INTERNAL),
]


def details(metadata: tuple[tuple[str, str | bytes], ...]) -> status_pb2.Status:
    status = status_pb2.Status()
    raw = dict(metadata)[DETAILS_KEY]
    assert isinstance(raw, bytes)
    status.ParseFromString(raw)
    return status


@pytest.mark.parametrize(("error", "code"), TABLE, ids=[type(e).__name__ for e, _ in TABLE])
def test_each_core_error_has_its_status_and_error_info(
    error: GatewayError, code: grpc.StatusCode
) -> None:
    found, metadata = trailers(error)
    assert found is code
    status = details(metadata)
    assert (status.code, status.message) == (code.value[0], error.message)
    info = error_details_pb2.ErrorInfo()
    assert status.details[0].Unpack(info)
    assert (info.reason, info.domain) == (error.code, "kafka-gateway")
    waits = code is S.RESOURCE_EXHAUSTED
    assert (RETRY_AFTER_KEY in dict(metadata)) is waits


def test_a_refused_argument_names_its_field_and_a_budget_its_wait() -> None:
    _, metadata = trailers(BadUserInput("no", path=["messages", 3, "json", "total"]))
    bad = error_details_pb2.BadRequest()
    assert details(metadata).details[1].Unpack(bad)
    assert [v.field for v in bad.field_violations] == ["messages.3.json.total"]
    _, metadata = trailers(RateLimited("spent", retryAfter=2), cursor="abc")
    assert dict(metadata)[RETRY_AFTER_KEY] == "2000" and dict(metadata)[CURSOR_KEY] == "abc"
    retry = error_details_pb2.RetryInfo()
    assert details(metadata).details[1].Unpack(retry)
    assert retry.retry_delay.ToMilliseconds() == 2000
