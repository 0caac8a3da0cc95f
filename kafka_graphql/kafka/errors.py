"""The one place where aiokafka's errors become the gateway's vocabulary."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiokafka import errors as kafka_errors

from kafka_graphql.errors import BadUserInput, GatewayError, KafkaUnavailable, NotFound

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
