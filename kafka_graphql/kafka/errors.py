"""The one place where aiokafka's errors become the gateway's vocabulary."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiokafka import errors as kafka_errors

from kafka_graphql.core.errors import BadUserInput, GatewayError, KafkaUnavailable, NotFound
from kafka_graphql.settings import KafkaSettings

log = logging.getLogger(__name__)

TOO_LARGE = (
    kafka_errors.MessageSizeTooLargeError,
    kafka_errors.RecordTooLargeError,
    kafka_errors.RecordListTooLargeError,
)


def translate(error: Exception, action: str) -> GatewayError:
    if isinstance(error, GatewayError):
        return error
    if isinstance(error, TOO_LARGE):
        return BadUserInput("the message is larger than the broker accepts")
    if isinstance(error, kafka_errors.UnknownTopicOrPartitionError):
        return NotFound("topic or partition not found")
    if isinstance(error, kafka_errors.KafkaError):
        # Retriable errors and connection trouble alike: the client may try again later.
        log.warning("Kafka error while %s: %r", action, error)
        return KafkaUnavailable(f"Kafka is unavailable ({action}); try again later")
    raise error


@asynccontextmanager
async def kafka_call(action: str, timeout_s: float) -> AsyncIterator[None]:
    """Bound a Kafka call by `timeout_s` and translate what it raises."""
    try:
        async with asyncio.timeout(timeout_s):
            yield
    except TimeoutError:
        log.warning("Kafka did not answer within %.1fs while %s", timeout_s, action)
        raise KafkaUnavailable(
            f"Kafka did not answer in time ({action}); try again later"
        ) from None
    except kafka_errors.KafkaError as error:
        raise translate(error, action) from None


def connection_problem(error: BaseException, settings: KafkaSettings) -> str:
    """Why a first connection to a broker failed, in a line an operator can act on."""
    protocol = settings.security_protocol
    if isinstance(error, kafka_errors.SaslAuthenticationFailed):
        return (
            f"authentication failed for SASL user {settings.sasl_username!r} "
            f"({settings.sasl_mechanism}); check KAFKA_GRAPHQL_SASL_USERNAME and "
            "KAFKA_GRAPHQL_SASL_PASSWORD"
        )
    if isinstance(error, kafka_errors.UnsupportedSaslMechanismError):
        return f"the broker does not accept kafka.sasl_mechanism = {settings.sasl_mechanism!r}"
    if isinstance(error, ssl.SSLCertVerificationError):
        return (
            f"the broker's TLS certificate was not accepted ({error.verify_message}); check "
            "kafka.ssl_cafile and that the address is one the certificate names"
        )
    if isinstance(error, ssl.SSLError):
        return (
            f"the TLS handshake failed ({error.reason or error}); does this listener speak "
            f"{protocol} (kafka.security_protocol)?"
        )
    if isinstance(error, TimeoutError):
        return f"no answer within {settings.request_timeout_s:g} s"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, ConnectionResetError | EOFError | kafka_errors.KafkaConnectionError):
        return (
            f"the broker closed the connection; does this listener speak {protocol} "
            "(kafka.security_protocol)?"
        )
    if isinstance(error, OSError):
        return error.strerror or str(error)
    return str(error) or type(error).__name__
