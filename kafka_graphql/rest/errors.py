"""The REST face's errors: Confluent's body `{"error_code", "message"}` with its HTTP status,
mapped once from the core's errors (docs/rest.md has the table), and the face's own refusals
of a request it cannot read (RestError).

Confluent's codes are the HTTP status followed by two digits (40401: 404, topic not found);
where Confluent answers with the bare status (a path it does not serve, a media type it does not
read, JSON it cannot parse), so does this face.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import hdrs, web

from kafka_graphql.core.consumer_instances import (
    AlreadySubscribed,
    ConsumerExists,
    NoSuchConsumer,
)
from kafka_graphql.core.errors import (
    BadRequest,
    BadUserInput,
    Conflict,
    CostLimitExceeded,
    CursorExpired,
    Forbidden,
    GatewayError,
    InvalidValue,
    KafkaTimeout,
    KafkaUnavailable,
    LimitExceeded,
    NoSuchPartition,
    NotFound,
    RateLimited,
    SchemaRegistryUnavailable,
    ShuttingDown,
    Unauthenticated,
)
from kafka_graphql.core.wire_records import UndecodableRecord
from kafka_graphql.http.bearer import challenge
from kafka_graphql.rest.responses import answer

# The code of a record a produce answer reports as not written (Confluent's per-record codes):
# retriable (nothing was written: send it again), or any other Kafka error.
RETRIABLE_KAFKA_ERROR = 50003
KAFKA_ERROR = 50002


@dataclass(frozen=True, slots=True)
class RestCode:
    status: int
    error_code: int


# The core's errors (a class's entry serves its subclasses without one of their own).
CODES: Mapping[type[GatewayError], RestCode] = {
    Unauthenticated: RestCode(401, 40101),
    Forbidden: RestCode(403, 40301),
    NotFound: RestCode(404, 40401),
    NoSuchPartition: RestCode(404, 40402),
    NoSuchConsumer: RestCode(404, 40403),
    # Records a read asked to fail on (`on_gap=fail`) are gone: `earliest` says what is left.
    CursorExpired: RestCode(410, 41001),
    AlreadySubscribed: RestCode(409, 40901),
    ConsumerExists: RestCode(409, 40902),
    Conflict: RestCode(409, 40903),
    InvalidValue: RestCode(422, 42206),
    BadUserInput: RestCode(422, 422),
    CostLimitExceeded: RestCode(422, 422),
    BadRequest: RestCode(400, 400),
    RateLimited: RestCode(429, 42901),
    LimitExceeded: RestCode(429, 42901),
    SchemaRegistryUnavailable: RestCode(408, 40801),
    # Confluent maps its deserializers' SerializationException to 40801 too.
    UndecodableRecord: RestCode(408, 40801),
    KafkaTimeout: RestCode(500, KAFKA_ERROR),
    KafkaUnavailable: RestCode(503, 50302),
    ShuttingDown: RestCode(503, 503),
    GatewayError: RestCode(500, 500),
}


class RestError(Exception):
    """A request the face cannot read as sent (its path, method, media type or body): answered
    with `status` and `error_code`; `code` is the core's word for it (telemetry)."""

    def __init__(
        self,
        status: int,
        message: str,
        error_code: int | None = None,
        code: str = BadRequest.code,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_code = error_code or status
        self.code = code
        self.headers = dict(headers or {})


def rest_code(error: GatewayError) -> RestCode:
    for cls in type(error).__mro__:
        found = CODES.get(cls)
        if found is not None:
            return found
    return CODES[GatewayError]


def record_error_code(error: GatewayError) -> int:
    """The `error_code` of one record a produce did not write."""
    return RETRIABLE_KAFKA_ERROR if isinstance(error, KafkaUnavailable) else KAFKA_ERROR


def gateway_error_response(error: GatewayError) -> web.Response:
    found = rest_code(error)
    headers: dict[str, str] = {}
    if isinstance(error, Unauthenticated):
        headers[hdrs.WWW_AUTHENTICATE] = challenge(error)
    retry_after = error.extensions.get("retryAfter")
    if found.status == 429:
        headers[hdrs.RETRY_AFTER] = str(retry_after if isinstance(retry_after, int) else 1)
    body = error_body(error)
    return answer(body, found.status, headers)


def error_body(error: GatewayError) -> dict[str, Any]:
    """Confluent's error body of `error`; a CURSOR_EXPIRED refusal says also each partition's
    earliest offset (`earliest`: [{partition, offset}]), as GraphQL's extensions do."""
    body: dict[str, Any] = {"error_code": rest_code(error).error_code, "message": error.message}
    if isinstance(error, CursorExpired):
        body["earliest"] = error.extensions.get("earliest", [])
    return body


def rest_error_response(error: RestError) -> web.Response:
    return error_response(error.status, error.error_code, error.message, error.headers)


def unauthenticated_response(refusal: Unauthenticated) -> web.Response:
    """A token refused by the authentication middleware (http/bearer.py), in Confluent's shape."""
    return gateway_error_response(refusal)


def error_response(
    status: int, error_code: int, message: str, headers: Mapping[str, str] | None = None
) -> web.Response:
    return answer({"error_code": error_code, "message": message}, status, headers)
