"""The gateway's one producer: idempotent, acks=all, every send bounded by a timeout."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer

from kafka_graphql.errors import KafkaUnavailable
from kafka_graphql.kafka.errors import kafka_call, translate
from kafka_graphql.kafka.records import OutgoingRecord, ProduceAck
from kafka_graphql.settings import KafkaSettings


class Producer:
    def __init__(self, settings: KafkaSettings) -> None:
        self._settings = settings
        self._producer = AIOKafkaProducer(
            bootstrap_servers=settings.bootstrap_servers,
            client_id=f"{settings.client_id}-producer",
            # A result is returned only once every in-sync replica has the record, and the
            # producer's own retries can never write it twice.
            enable_idempotence=True,
            acks="all",
            request_timeout_ms=int(settings.request_timeout_s * 1000),
            linger_ms=1,
        )

    async def start(self) -> None:
        async with kafka_call("connecting the producer", self._settings.request_timeout_s):
            await self._producer.start()

    async def close(self) -> None:
        # stop() flushes what is still buffered before closing the connections.
        await self._producer.stop()

    async def send_many(self, topic: str, records: Sequence[OutgoingRecord]) -> list[ProduceAck]:
        """Send all records, then wait for every acknowledgement.

        If any record fails, the raised GatewayError lists in `extensions.written` the indices
        that were written, so that the client can retry exactly the others.
        """
        try:
            async with kafka_call("producing", self._settings.request_timeout_s):
                results = await self._send_all(topic, records)
        except KafkaUnavailable as unavailable:
            # Queued records may still reach Kafka once it answers again: say so, so that the
            # client checks before it writes again.
            raise KafkaUnavailable(
                "Kafka did not acknowledge the write in time; it may still be written, "
                "so check before retrying"
            ) from unavailable
        failed = [i for i, r in enumerate(results) if isinstance(r, BaseException)]
        if failed:
            first = results[failed[0]]
            if not isinstance(first, Exception):
                raise first
            error = translate(first, "producing")
            error.extensions["written"] = [i for i in range(len(results)) if i not in failed]
            raise error
        return [ProduceAck(r.topic, r.partition, r.offset, r.timestamp) for r in results]

    async def _send_all(self, topic: str, records: Sequence[OutgoingRecord]) -> list[Any]:
        """Queue every record, then gather the acknowledgements (or their exceptions)."""
        await self._know_partitions(
            topic, {r.partition for r in records if r.partition is not None}
        )
        futures = [
            await self._producer.send(
                topic, r.value, key=r.key, headers=list(r.headers), partition=r.partition
            )
            for r in records
        ]
        return await asyncio.gather(*futures, return_exceptions=True)

    async def _know_partitions(self, topic: str, partitions: set[int]) -> None:
        """Refresh the producer's metadata when a record names a partition it has not seen yet
        (the topic grew since): aiokafka would otherwise refuse the send with an assertion."""
        if partitions and not partitions <= await self._producer.partitions_for(topic):
            await self._producer.client.force_metadata_update()
