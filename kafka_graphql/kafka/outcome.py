"""What a client is told about a write: only what is known.

Each record of a write ends in one of three states:
- acknowledged: Kafka has it (acks=all); the client gets its partition and offset;
- refused: certainly not written (never handed to the producer, or refused by the broker for a
  reason that rules out a write, e.g. too large); retrying it cannot write it twice;
- unknown: handed to the producer and not acknowledged in time (or failed after being sent); it may
  be on the topic now or later. Retrying it blindly may write it twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from kafka_graphql.core.errors import GatewayError, KafkaTimeout, KafkaUnavailable
from kafka_graphql.kafka.errors import translate
from kafka_graphql.kafka.records import ProduceAck

UNACKNOWLEDGED = (
    "Kafka did not acknowledge the write in time: it may or may not be written, "
    "so check (e.g. read the topic) before writing it again"
)


class WriteOutcome:
    def __init__(self, count: int) -> None:
        self.count = count
        # The producer's futures, one per record handed off, in record order.
        self.handed: list[asyncio.Future[Any]] = []
        # Why the records after the handed ones were not handed off (None: all were).
        self.refusal: GatewayError | None = None

    def result(self, definitely_refused: Callable[[Exception], bool]) -> list[ProduceAck]:
        """The acknowledgements of every record, or the error that says what is known."""
        acks: list[ProduceAck] = []
        written: list[int] = []
        unknown: list[int] = []
        refused: list[Exception] = []
        for index, future in enumerate(self.handed):
            error = future.exception() if future.done() and not future.cancelled() else None
            if not future.done() or future.cancelled():
                unknown.append(index)
            elif isinstance(error, Exception) and definitely_refused(error):
                refused.append(error)
            elif error is not None:
                unknown.append(index)
            else:
                written.append(index)
                r = future.result()
                acks.append(ProduceAck(r.topic, r.partition, r.offset, r.timestamp))
        if len(written) == self.count:
            return acks
        if unknown:
            raise KafkaTimeout(
                UNACKNOWLEDGED,
                written=written,
                unknown=unknown,
            )
        if refused:
            refusal = translate(refused[0], "producing")
        else:
            refusal = self.refusal or KafkaUnavailable("Kafka did not accept the write")
        refusal.extensions["written"] = written
        raise refusal

    def each(
        self, definitely_refused: Callable[[Exception], bool]
    ) -> list[ProduceAck | GatewayError]:
        """Every record's own outcome, in order: its acknowledgement, KAFKA_TIMEOUT when it was
        handed off and not acknowledged (it may be written), or the error that certainly kept
        it off the topic (refused by the broker, or never handed off)."""
        outcomes: list[ProduceAck | GatewayError] = []
        for index in range(self.count):
            if index >= len(self.handed):
                outcomes.append(self.refusal or KafkaUnavailable("Kafka did not accept the write"))
                continue
            future = self.handed[index]
            error = future.exception() if future.done() and not future.cancelled() else None
            if not future.done() or future.cancelled():
                outcomes.append(KafkaTimeout(UNACKNOWLEDGED))
            elif isinstance(error, Exception) and definitely_refused(error):
                outcomes.append(translate(error, "producing"))
            elif error is not None:
                outcomes.append(KafkaTimeout(UNACKNOWLEDGED))
            else:
                r = future.result()
                outcomes.append(ProduceAck(r.topic, r.partition, r.offset, r.timestamp))
        return outcomes
