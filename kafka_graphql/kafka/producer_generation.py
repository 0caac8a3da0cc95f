"""One AIOKafkaProducer of the gateway's producer (producer.py), from its making to its close, and
what it has been handed and not yet answered.

This is where the producer reaches into aiokafka's private parts, each fenced in
tests/unit/test_private_apis.py: its accumulator's batch TTL (`_batch_ttl`: set so that batches
never expire), its sender task (`_sender.sender_task`: aiokafka keeps no public handle on it), and
the sender's close and the accumulator's `fail_all` (to close a wedged producer).
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka import errors as kafka_errors

from kafka_graphql.kafka.errors import kafka_call
from kafka_graphql.kafka.security import client_options
from kafka_graphql.settings import KafkaSettings

MAX_BATCH_BYTES = 262_144

# Errors after which this producer id can never write to the partition again.
FATAL = (
    kafka_errors.OutOfOrderSequenceNumber,
    kafka_errors.UnknownProducerId,
    kafka_errors.InvalidProducerEpoch,
    kafka_errors.ProducerFenced,
)
NEVER = float("inf")


class Generation:
    """One AIOKafkaProducer and what it has been handed and not yet answered."""

    def __init__(self, number: int, client: Any) -> None:
        self.number = number
        self.client = client
        # Hand-off time of every record not yet acknowledged or failed.
        self.pending: dict[asyncio.Future[Any], float] = {}
        self.last_progress = asyncio.get_running_loop().time()
        self.fatal: BaseException | None = None
        self.drained = asyncio.Event()
        self.drained.set()

    def track(self, future: asyncio.Future[Any]) -> None:
        self.pending[future] = asyncio.get_running_loop().time()
        self.drained.clear()
        future.add_done_callback(self._settled)

    def _settled(self, future: asyncio.Future[Any]) -> None:
        del self.pending[future]
        if not self.pending:
            self.drained.set()
        if future.cancelled():
            return
        error = future.exception()  # also marks it retrieved: no "never retrieved" warning
        if error is None:
            self.last_progress = asyncio.get_running_loop().time()
        elif isinstance(error, FATAL) and self.fatal is None:
            self.fatal = error

    def sender_stopped(self) -> BaseException | None:
        task = self.client._sender.sender_task  # aiokafka keeps no public handle on it
        if task is None or not task.done():
            return None
        return task.exception() if not task.cancelled() else asyncio.CancelledError()

    def waiting_since(self) -> float | None:
        """Since when this producer owes an answer without having made progress."""
        if not self.pending:
            return None
        return max(min(self.pending.values()), self.last_progress)


def new_client(settings: KafkaSettings) -> Any:
    """An idempotent, acks=all AIOKafkaProducer whose batches never expire (not started)."""
    client = AIOKafkaProducer(
        **client_options(settings, "producer"),
        # A result is returned only once every in-sync replica has the record, and the
        # producer's own retries can never write it twice.
        enable_idempotence=True,
        acks="all",
        linger_ms=1,
        # A batch per partition is one request to the broker, and an idempotent producer has
        # one in flight at a time: with aiokafka's 16 KB batches a maximal produceBatch (1 MB)
        # took 60 round trips, more than a request timeout on a busy gateway (benchmark P11).
        # Not larger: the sender builds a request in one go, holding the loop meanwhile.
        max_batch_size=MAX_BATCH_BYTES,
    )
    # See producer.py's docstring: an idempotent batch must never expire (aiokafka #1017).
    client._message_accumulator._batch_ttl = NEVER
    return client


async def started_generation(number: int, settings: KafkaSettings) -> Generation:
    client = new_client(settings)
    try:
        async with kafka_call("starting the producer", settings.request_timeout_s):
            await client.start()
    except BaseException:
        await client.stop()  # aiokafka warns about a producer never closed, started or not
        raise
    return Generation(number, client)


async def shut(generation: Generation) -> None:
    """Closes `generation`'s producer without waiting for what it still holds."""
    client = generation.client
    # aiokafka's stop() waits until everything pending is delivered, which a wedged producer
    # never does: stop its sender first and fail what is left (the callers were already told
    # the outcome is unknown), so that stop() only closes the connections.
    await client._sender.close()
    client._message_accumulator.fail_all(kafka_errors.ProducerClosed())
    await client.stop()
