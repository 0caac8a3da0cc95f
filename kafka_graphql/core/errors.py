"""The project's one error vocabulary. `code` becomes `extensions.code` in GraphQL responses.

Only these errors reach clients with their message; anything else is masked as
INTERNAL_SERVER_ERROR (and logged), so no stack trace or internal name ever leaks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class GatewayError(Exception):
    code: ClassVar[str] = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions = extensions


class BadUserInput(GatewayError):
    code = "BAD_USER_INPUT"


class InvalidValue(BadUserInput):
    """A value the topic's schema refuses: `extensions.path` names the field, `problems` lists
    every problem (BAD_USER_INPUT, like any refused argument)."""


class NoSuchPartition(BadUserInput):
    """A partition number the topic does not have (BAD_USER_INPUT: the topic is there, the
    number is not)."""


class BadRequest(GatewayError):
    """The request cannot be served the way it was sent (e.g. a subscription over plain HTTP)."""

    code = "BAD_REQUEST"


class NotFound(GatewayError):
    """Unknown topic or partition. Unexposed topics answer exactly like missing ones."""

    code = "NOT_FOUND"

    @classmethod
    def topic(cls, name: str) -> NotFound:
        """The one answer for a topic that does not exist, is not exposed, or that the caller
        may not read: the same bytes in all three cases, so that none can be told apart."""
        return cls(f"topic {name!r} not found")


class KafkaUnavailable(GatewayError):
    """Kafka could not be reached, and nothing was written: the client may retry as it is."""

    code = "KAFKA_UNAVAILABLE"


class KafkaTimeout(GatewayError):
    """A write was handed to Kafka but not acknowledged in time: it may or may not be written.

    The client must check (e.g. read the topic) before writing again, or it may write twice."""

    code = "KAFKA_TIMEOUT"


class Unauthenticated(GatewayError):
    """The caller did not prove who it is, and must (HTTP 401, WebSocket close 4403)."""

    code = "UNAUTHENTICATED"
    # Why, in one word for metrics and the audit log (never shown to the caller).
    reason = "missing"


class InvalidToken(Unauthenticated):
    """A token was sent and is refused: bad signature, expired, wrong issuer or audience..."""

    reason = "malformed"

    def __init__(self, message: str, reason: str = "malformed") -> None:
        super().__init__(message)
        # malformed, expired, not_yet_valid, bad_signature, wrong_audience or wrong_issuer
        self.reason = reason


class Forbidden(GatewayError):
    """The caller is known but may not do this (e.g. write to a topic it can only read)."""

    code = "FORBIDDEN"


class Conflict(GatewayError):
    """What was asked does not fit the state of what it is asked of (e.g. a consumer seeking in
    a partition it is not assigned)."""

    code = "CONFLICT"


class CursorExpired(GatewayError):
    """The read asked for `onGap: FAIL`, and records it would have started with (or gone on
    with) are gone, or its position is past a partition's end: `extensions.earliest` lists
    each partition's earliest offset still stored (`{partition, offset}`), `extensions.gaps`
    and `extensions.resets` what was found. Nothing of the read was sent before."""

    code = "CURSOR_EXPIRED"


class LimitExceeded(GatewayError):
    code = "LIMIT_EXCEEDED"


class ShuttingDown(GatewayError):
    code = "SHUTTING_DOWN"


class SchemaRegistryUnavailable(GatewayError):
    """The schema registry did not answer in time, refused us, or answered nonsense."""

    code = "SCHEMA_REGISTRY_UNAVAILABLE"


class CostLimitExceeded(GatewayError):
    """The operation costs more than one operation may (`limits.max_query_cost`); nothing ran."""

    code = "COST_LIMIT_EXCEEDED"


class RateLimited(GatewayError):
    """The caller's budget (cost points, or produce messages and bytes) is spent for now;
    `extensions.retryAfter` says in how many seconds to try again. Nothing ran."""

    code = "RATE_LIMITED"


class StreamFailed(GatewayError):
    """A subscription failed on something of its own (its filter, its selection or the encoding
    of a message for it): that stream ends with this error, whose `extensions.cursor` resumes it
    with nothing lost, and every other stream goes on. The cause is logged once, never shown."""


class StreamInterrupted(Exception):
    """Inside a subscription's pipeline only (never shown): `cause` ended the stream of `topic`,
    which resumes at `positions` with nothing lost (everything below them was delivered, or did
    not match). The resolver turns it into the error the client sees
    (graphql/stream_failures.py)."""

    def __init__(self, topic: str, positions: Mapping[int, int], cause: BaseException) -> None:
        super().__init__(f"stream of {topic} interrupted")
        self.topic = topic
        self.positions = dict(positions)
        self.cause = cause


class Undeliverable(Exception):
    """A message that was not written to its socket (never shown): `cause`, its encoding
    failed, or its caller was cut back while it waited for room (graphql/ws/sending.py). The
    operation that sent it ends with its own error; the socket and its other operations go on."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__("message not written")
        self.cause = cause
