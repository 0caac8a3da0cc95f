"""Live fan-out: the hub of this process's live feeds, one per topic (live_feed.py), each shared by
every live subscriber of its topic (live_subscriber.py). A feed is started on first use and
closed when its last user leaves.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from kafka_graphql.core.errors import ShuttingDown
from kafka_graphql.kafka.cluster import Cluster
from kafka_graphql.kafka.live_feed import TopicFeed
from kafka_graphql.kafka.reader import MAX_HEADERS
from kafka_graphql.settings import KafkaSettings


class LiveHub:
    """The feeds of this process, started on first use and closed when their last user leaves."""

    def __init__(
        self, settings: KafkaSettings, cluster: Cluster, max_headers: int = MAX_HEADERS
    ) -> None:
        self._settings = settings
        self._max_headers = max_headers
        self._cluster = cluster
        self._feeds: dict[str, TopicFeed] = {}
        self._starting: dict[str, asyncio.Task[TopicFeed]] = {}
        self._closing = False
        self._users = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._changed = asyncio.Event()
        # Per topic, the restarts of its feeds that closed (feeds come and go).
        self._past_restarts: dict[str, int] = {}

    def feed_count(self, topic: str | None = None) -> int:
        """Live Kafka consumers currently open (for one topic, or in all)."""
        if topic is None:
            return len(self._feeds)
        return int(topic in self._feeds)

    def subscriber_count(self, topic: str) -> int:
        feed = self._feeds.get(topic)
        return len(feed.subscribers) if feed else 0

    def feed(self, topic: str) -> TopicFeed | None:
        return self._feeds.get(topic)

    def lag(self) -> dict[tuple[str, int], int]:
        """Per (topic, partition) of the open feeds: records between the log end and the feed."""
        return {
            (topic, partition): behind
            for topic, feed in self._feeds.items()
            for partition, behind in feed.lag().items()
        }

    def restarts(self) -> dict[str, int]:
        """Per topic, how often the watchdog replaced its feeds' consumers since start."""
        totals = dict(self._past_restarts)
        for topic, feed in self._feeds.items():
            totals[topic] = totals.get(topic, 0) + feed.restarts
        return totals

    def health(self) -> str | None:
        """None unless a live feed is stuck (for /readyz)."""
        stalled = sorted(topic for topic, feed in self._feeds.items() if feed.stalled)
        if stalled:
            return f"live feeds make no progress: {', '.join(stalled)}"
        return None

    async def wait_until(self, condition: Callable[[], bool]) -> None:
        """Wait until `condition()` holds; it is re-checked whenever a subscriber joins or
        leaves or a feed delivers. For operations tooling and tests."""
        while not condition():
            await self._changed.wait()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def acquire(self, topic: str) -> TopicFeed:
        """The feed of `topic`, started on first use; each `acquire` must be followed by `release`.

        (Not a context manager: a subscription holds its feed for its whole life, and a
        generator-based one would cost every idle subscription a suspended frame and wrapper.)"""
        if self._closing:
            raise ShuttingDown("the gateway is shutting down; reconnect to another instance")
        feed = self._feeds.get(topic)
        if feed is None:
            starting = self._starting.get(topic)
            if starting is None:
                starting = asyncio.create_task(self._start(topic))
                self._starting[topic] = starting
            # shield: a subscriber that gives up must not cancel a start others are waiting for.
            feed = await asyncio.shield(starting)
        if self._closing:
            raise ShuttingDown("the gateway is shutting down; reconnect to another instance")
        feed.users += 1
        self._users += 1
        self._idle.clear()
        return feed

    async def release(self, topic: str, feed: TopicFeed) -> None:
        try:
            feed.users -= 1
            if feed.users == 0 and self._feeds.get(topic) is feed:
                del self._feeds[topic]
                self._past_restarts[topic] = self._past_restarts.get(topic, 0) + feed.restarts
                await feed.close()
                self._notify()
        finally:
            self._users -= 1
            if self._users == 0:
                self._idle.set()

    async def _start(self, topic: str) -> TopicFeed:
        try:
            feed = TopicFeed(self._settings, self._cluster, topic, self._notify, self._max_headers)
            await feed.start()
            self._feeds[topic] = feed
            self._notify()
            return feed
        finally:
            del self._starting[topic]

    async def close(self, grace_s: float = 0) -> None:
        """Complete every subscription, close every feed, and wait up to `grace_s` for the
        subscriptions to finish."""
        self._closing = True
        for task in list(self._starting.values()):
            with contextlib.suppress(Exception):
                await task
        feeds, self._feeds = list(self._feeds.values()), {}
        for feed in feeds:
            await feed.close()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace_s):
                await self._idle.wait()
