"""Group-less consumers: how one is made, and how one is stopped for good."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer

from kafka_graphql.kafka import record_batches
from kafka_graphql.kafka.security import client_options
from kafka_graphql.settings import KafkaSettings


def new_consumer(settings: KafkaSettings, role: str, reset: str = "earliest") -> Any:
    """`reset`: where a position out of range goes; "none" raises OffsetOutOfRangeError from
    getmany instead, for a reader that reports what it found gone (reader.py)."""
    # Header names that are not UTF-8 would stop aiokafka's fetcher for good (record_batches.py).
    record_batches.install()
    return AIOKafkaConsumer(
        **client_options(settings, role),
        group_id=None,
        enable_auto_commit=False,
        # Only reached when a position fell out of retention: continue with what still exists.
        auto_offset_reset=reset,
        fetch_max_wait_ms=100,
    )


async def stop_consumer(consumer: Any) -> None:
    """Stop `consumer` to the end, then let through a cancellation of the caller that came
    meanwhile.

    aiokafka's stop() suppresses CancelledError while it awaits its own fetch task, so it swallows
    a cancellation of the caller that arrives then: a subscription whose client left would carry
    on as if nothing happened. Interrupted elsewhere, it would leave connections open. So it runs
    in a task of its own, which no cancellation of ours reaches.

    The other way round, stop() stopped during a broker outage can raise a CancelledError of its
    own; that is not passed on."""
    stopping = asyncio.ensure_future(consumer.stop())
    cancelled = False
    while not stopping.done():
        try:
            await asyncio.wait([stopping])
        except asyncio.CancelledError:
            cancelled = True
    if stopping.cancelled():
        # Nothing of ours cancels `stopping`: this is aiokafka's fetcher letting out the
        # cancellation of a fetch it was retrying after a broker error (its close() cancels and
        # awaits it), before the consumer closed its connections. Close them here.
        await consumer._client.close()
    else:
        stopping.result()
    if cancelled:
        raise asyncio.CancelledError
