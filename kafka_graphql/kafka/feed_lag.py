"""How far a live feed is behind its partitions' log ends, from what the feed already knows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiokafka import TopicPartition


def feed_lag(
    consumer: Any, topic: str, positions: Mapping[int, int], ends: Mapping[int, int]
) -> dict[int, int]:
    """Per partition, the log end offset last heard of minus `positions` (the next offsets the
    feed will offer). The end is the later of what the consumer's fetches said (`highwater`)
    and what the feed's watchdog read (`ends`): a consumer that stopped fetching hears of
    nothing, and no request is made here (this runs at every scrape). Partitions of which
    neither said anything yet are left out."""
    assigned = consumer.assignment() if consumer is not None else set()
    lag: dict[int, int] = {}
    for partition, position in positions.items():
        tp = TopicPartition(topic, partition)
        # Not assigned for a moment while the watchdog replaces the consumer.
        fetched = consumer.highwater(tp) if tp in assigned else None
        known = [end for end in (fetched, ends.get(partition)) if end is not None]
        if known:
            lag[partition] = max(0, max(known) - position)
    return lag
