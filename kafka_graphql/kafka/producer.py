"""The gateway's producer: idempotent and acks=all, honest about each write's outcome, and replaced
when it stops making progress.

Why more than an AIOKafkaProducer: aiokafka 0.14's idempotent producer can wedge for good after a
broker restart (aiokafka issue #1017). Its accumulator fails a batch whose partition has no leader
once the batch is older than `request_timeout_ms` (`MessageAccumulator.drain_by_nodes`), even with
idempotence on and after the batch took its sequence numbers; every later batch of that partition
then carries a sequence the broker does not expect and is refused with OutOfOrderSequenceNumber,
forever. The same expiry answered writes as failed that a retry had already written. So:

1. batches never expire (producer_generation.py): with idempotence the producer's own retries
   cannot write twice, and the caller's wait is bounded by our own timeout instead;
2. a producer that hits a fatal idempotence error, loses its sender task, or makes no progress while
   Kafka answers is replaced by a new one (a new producer id, fresh sequences); the old one gets a
   grace period to deliver what it holds, then is closed;
3. callers are told only what is known (see `WriteOutcome`): refused before the hand-off means
   certainly not written (KAFKA_UNAVAILABLE); handed off and not acknowledged means it may be
   written (KAFKA_TIMEOUT, outcome unknown).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Awaitable, Callable, Sequence

from aiokafka import errors as kafka_errors

from kafka_graphql.core.errors import GatewayError, KafkaUnavailable
from kafka_graphql.core.slices import Slices
from kafka_graphql.kafka.errors import TOO_LARGE, translate
from kafka_graphql.kafka.outcome import WriteOutcome
from kafka_graphql.kafka.producer_generation import Generation, shut, started_generation
from kafka_graphql.kafka.records import OutgoingRecord, ProduceAck
from kafka_graphql.settings import KafkaSettings

log = logging.getLogger(__name__)

WATCH_INTERVAL_S = 0.5
UNREACHABLE = "Kafka is unreachable; nothing was written, try again later"

Reachability = Callable[[], Awaitable[None]]


class Producer:
    def __init__(self, settings: KafkaSettings, reachable: Reachability) -> None:
        self._settings = settings
        self._reachable = reachable
        self._numbers = itertools.count(1)
        self._current: Generation | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._retiring: set[asyncio.Task[None]] = set()
        # Generations replaced but not yet closed.
        self._closing: set[Generation] = set()
        self._replacing = asyncio.Lock()
        # While Kafka is known to be unreachable, writes are refused before any hand-off.
        self._unreachable = False
        self._reachable_since = 0.0
        self.replacements = 0

    async def _started_generation(self) -> Generation:
        return await started_generation(next(self._numbers), self._settings)

    async def start(self) -> None:
        self._current = await self._started_generation()
        self._reachable_since = asyncio.get_running_loop().time()
        self._watchdog = asyncio.create_task(self._watch(), name="producer-watchdog")

    async def close(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            await asyncio.wait([self._watchdog])
        for task in list(self._retiring):
            task.cancel()
        if self._retiring:
            await asyncio.wait(self._retiring)
        # A retirement cut short above still owes its producer a close (aiokafka warns about,
        # and leaks the connections of, a producer never stopped).
        for generation in list(self._closing):
            await self._shut(generation)
        if self._current is not None:
            await self._retire(self._current, grace_s=self._settings.request_timeout_s)

    def health(self) -> str | None:
        """None when writes can be served; otherwise why not (for /readyz)."""
        if self._current is None:
            return "the producer is not started"
        if self._unreachable:
            return "Kafka is unreachable from the producer"
        since = self._current.waiting_since()
        now = asyncio.get_running_loop().time()
        if since is not None and now - max(since, self._reachable_since) > self._stall_s:
            return "the producer has made no progress"
        return None

    @property
    def _stall_s(self) -> float:
        return self._settings.request_timeout_s

    async def send_many(self, topic: str, records: Sequence[OutgoingRecord]) -> list[ProduceAck]:
        """Write all records; return their acknowledgements in order or raise what is known.

        The whole call is bounded by `request_timeout_s`. On failure the error's extensions list
        the indices `written` (acknowledged) and, for KAFKA_TIMEOUT, `unknown` (handed to Kafka
        but not acknowledged: they may be written).
        """
        generation = self._current
        if generation is None or self._unreachable:
            raise KafkaUnavailable(UNREACHABLE)
        outcome = await self._send(generation, topic, records)
        return outcome.result(definitely_refused=_definitely_refused)

    async def send_each(
        self, topic: str, records: Sequence[OutgoingRecord]
    ) -> list[ProduceAck | GatewayError]:
        """`send_many`, answered record by record: each record's acknowledgement or what is
        known of it (`WriteOutcome.each`). Kafka's failures are never raised."""
        generation = self._current
        if generation is None or self._unreachable:
            outcome = WriteOutcome(len(records))
            outcome.refusal = KafkaUnavailable(UNREACHABLE)
        else:
            outcome = await self._send(generation, topic, records)
        return outcome.each(definitely_refused=_definitely_refused)

    async def _send(
        self, generation: Generation, topic: str, records: Sequence[OutgoingRecord]
    ) -> WriteOutcome:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._settings.request_timeout_s
        outcome = WriteOutcome(len(records))
        try:
            async with asyncio.timeout_at(deadline):
                await self._know_partitions(generation, topic, records)
                slices = Slices()  # 500 sends are ~25 ms of encoding: handed over in slices
                for record in records:
                    if slices.due():
                        await slices.pause()
                    # Until send() returns, the record is not in the producer: cancelling it
                    # (our timeout) leaves nothing behind.
                    future = await generation.client.send(
                        topic,
                        record.value,
                        key=record.key,
                        headers=list(record.headers),
                        partition=record.partition,
                        timestamp_ms=record.timestamp_ms,
                    )
                    generation.track(future)
                    outcome.handed.append(future)
        except TimeoutError:
            outcome.refusal = KafkaUnavailable(
                "Kafka did not accept the write in time; it was not written, try again later"
            )
        except kafka_errors.KafkaError as error:
            outcome.refusal = translate(error, "producing")
        if outcome.handed:
            await asyncio.wait(outcome.handed, timeout=max(0.0, deadline - loop.time()))
        if generation.fatal is not None:
            self._replace_soon(generation, f"it hit {generation.fatal!r}")
        return outcome

    async def _know_partitions(
        self, generation: Generation, topic: str, records: Sequence[OutgoingRecord]
    ) -> None:
        """Refresh the producer's metadata when a record names a partition it has not seen yet
        (the topic grew since): aiokafka would otherwise refuse the send with an assertion."""
        partitions = {r.partition for r in records if r.partition is not None}
        client = generation.client
        if partitions and not partitions <= await client.partitions_for(topic):
            await client.client.force_metadata_update()

    # -- the watchdog -------------------------------------------------------------------------

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(WATCH_INTERVAL_S)  # a timer: a stall is the absence of events
            try:
                await self._check()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("producer watchdog check failed; checking again")

    async def _check(self) -> None:
        generation = self._current
        assert generation is not None
        stopped = generation.sender_stopped()
        if stopped is not None:
            await self._replace(generation, f"its sender stopped ({stopped!r})")
            return
        if generation.fatal is not None:
            await self._replace(generation, f"it hit {generation.fatal!r}")
            return
        loop = asyncio.get_running_loop()
        since = generation.waiting_since()
        stalled = since is not None and loop.time() - max(since, self._reachable_since) > (
            self._stall_s
        )
        if not (stalled or self._unreachable):
            return
        try:
            await self._reachable()
        except GatewayError:
            if not self._unreachable:
                log.warning("Kafka is unreachable: refusing writes until it answers again")
            self._unreachable = True
            return
        if self._unreachable:
            log.info("Kafka answers again: accepting writes")
            self._unreachable = False
            self._reachable_since = loop.time()
            return
        # Kafka answers, yet this producer has owed answers for a whole timeout: it is wedged.
        await self._replace(generation, f"no progress for {self._stall_s:g} s while Kafka answers")

    def _replace_soon(self, generation: Generation, reason: str) -> None:
        task = asyncio.create_task(self._replace(generation, reason))
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    async def _replace(self, old: Generation, reason: str) -> None:
        async with self._replacing:
            if old is not self._current:
                return  # already replaced
            log.warning("replacing Kafka producer #%d: %s", old.number, reason)
            try:
                new = await self._started_generation()
            except GatewayError as error:
                log.warning("cannot start a new producer yet: %s", error.message)
                return
            self._current = new
            self.replacements += 1
        # What the old one holds may still be delivered (or fail for certain) within a grace
        # period; its callers are waiting for exactly that. Then it is closed.
        task = asyncio.create_task(self._retire(old, grace_s=self._stall_s))
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    async def _retire(self, generation: Generation, grace_s: float) -> None:
        self._closing.add(generation)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace_s):
                await generation.drained.wait()
        await self._shut(generation)

    async def _shut(self, generation: Generation) -> None:
        await shut(generation)
        self._closing.discard(generation)


def _definitely_refused(error: Exception) -> bool:
    """Errors on a handed-off record that prove the broker did not write it."""
    return isinstance(error, TOO_LARGE)
