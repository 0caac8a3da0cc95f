"""What a client is told about each record of a write (kafka/outcome.py)."""

from __future__ import annotations

import asyncio
from collections import namedtuple
from typing import Any

import pytest
from aiokafka import errors as kafka_errors

from kafka_graphql.core.errors import BadUserInput, KafkaTimeout, KafkaUnavailable
from kafka_graphql.kafka.errors import TOO_LARGE
from kafka_graphql.kafka.outcome import WriteOutcome
from kafka_graphql.kafka.records import ProduceAck

Metadata = namedtuple("Metadata", "topic partition offset timestamp")


def _refused(error: Exception) -> bool:
    return isinstance(error, TOO_LARGE)


def _future(result: Any = None, error: BaseException | None = None) -> asyncio.Future[Any]:
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    if error is not None:
        future.set_exception(error)
    elif result is not None:
        future.set_result(result)
    return future


async def test_all_acknowledged_gives_every_ack_in_order() -> None:
    outcome = WriteOutcome(2)
    outcome.handed = [_future(Metadata("t", 0, 5, 1)), _future(Metadata("t", 1, 7, 2))]
    acks = outcome.result(_refused)
    assert [(a.partition, a.offset) for a in acks] == [(0, 5), (1, 7)]


async def test_handed_off_and_unanswered_is_unknown_not_unavailable() -> None:
    outcome = WriteOutcome(3)
    outcome.handed = [_future(Metadata("t", 0, 5, 1)), _future()]  # the second never answered
    outcome.refusal = KafkaUnavailable("timed out before the hand-off")
    with pytest.raises(KafkaTimeout) as raised:
        outcome.result(_refused)
    assert raised.value.extensions == {"written": [0], "unknown": [1]}


async def test_a_failure_after_the_hand_off_is_unknown() -> None:
    outcome = WriteOutcome(1)
    outcome.handed = [_future(error=kafka_errors.NotLeaderForPartitionError())]
    with pytest.raises(KafkaTimeout):
        outcome.result(_refused)


async def test_never_handed_off_is_certainly_not_written() -> None:
    outcome = WriteOutcome(2)
    outcome.handed = [_future(Metadata("t", 0, 5, 1))]
    outcome.refusal = KafkaUnavailable("Kafka is unreachable")
    with pytest.raises(KafkaUnavailable) as raised:
        outcome.result(_refused)
    assert raised.value.extensions == {"written": [0]}


async def test_too_large_is_a_certain_refusal() -> None:
    outcome = WriteOutcome(1)
    outcome.handed = [_future(error=kafka_errors.RecordTooLargeError())]
    with pytest.raises(BadUserInput):
        outcome.result(_refused)


async def test_each_record_gets_its_own_outcome() -> None:
    outcome = WriteOutcome(5)
    outcome.handed = [
        _future(Metadata("t", 0, 5, 1)),
        _future(),  # never answered: it may be written
        _future(error=kafka_errors.NotLeaderForPartitionError()),  # failed after the hand-off
        _future(error=kafka_errors.RecordTooLargeError()),  # refused by the broker
    ]
    outcome.refusal = KafkaUnavailable("timed out before the hand-off")
    acked, unanswered, failed, too_large, never_handed = outcome.each(_refused)
    assert acked == ProduceAck("t", 0, 5, 1)
    assert isinstance(unanswered, KafkaTimeout) and isinstance(failed, KafkaTimeout)
    assert isinstance(too_large, BadUserInput)
    assert never_handed is outcome.refusal


async def test_each_without_a_refusal_says_kafka_did_not_accept_it() -> None:
    outcome = WriteOutcome(1)
    (only,) = outcome.each(_refused)
    assert isinstance(only, KafkaUnavailable)
    assert only.message == "Kafka did not accept the write"
