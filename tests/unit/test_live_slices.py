"""The live feed offers a large batch in slices, pausing between offers, and the replay-to-live
hand-off stays exact (kafka/live_feed.py `_dispatch`, kafka/catch_up.py): at every pause, a catch-up
that finds itself level joins and misses nothing, one that is not level reads on, a live
subscriber that starts now starts after the batch, and every subscriber receiving when the batch
started gets all of it, once."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from kafka_graphql.core.slices import Slices
from kafka_graphql.kafka.catch_up import level_with as _level_with
from kafka_graphql.kafka.cluster import Cluster
from kafka_graphql.kafka.live_feed import TopicFeed
from kafka_graphql.kafka.live_subscriber import LiveSubscriber
from kafka_graphql.kafka.records import Record
from kafka_graphql.settings import KafkaSettings


def records(offsets: range) -> list[Record]:
    return [Record("t", 0, o, 0, None, {"n": o}, ()) for o in offsets]


def offsets(sub: LiveSubscriber) -> list[int]:
    return [r.offset for _, batch, _, _ in (sub._items or ()) for r in batch]


class PausingSlices(Slices):
    """Always due; runs `at_pause` at every pause (what other tasks do while the feed waits)."""

    def __init__(self, at_pause: Callable[[int], None]) -> None:
        super().__init__()
        self._at_pause = at_pause
        self.pauses = 0

    def due(self) -> bool:
        return True

    async def pause(self) -> None:
        self.pauses += 1
        self._at_pause(self.pauses)
        await super().pause()


def heavy(record: Record) -> bool:
    return True


async def test_pauses_in_a_batch_keep_the_hand_off_exact() -> None:
    feed = TopicFeed(cast("KafkaSettings", None), cast("Cluster", None), "t", lambda: None)
    feed.positions = {0: 100}
    receiving = [LiveSubscriber(None, heavy, 10) for _ in range(3)]
    for sub in receiving:
        feed.register(sub)
        feed.join(sub, {0: 100})
    # A catch-up that has read up to 150 (the whole batch below), one that has read up to 120,
    # and a live subscription starting during the batch.
    caught_up = LiveSubscriber(None, heavy, 10)
    behind = LiveSubscriber(None, heavy, 10)
    starting = LiveSubscriber(None, heavy, 10)
    for sub in (caught_up, behind, starting):
        feed.register(sub)
    seen_positions: list[int] = []

    def meanwhile(pause: int) -> None:
        seen_positions.append(feed.positions[0])
        if pause == 1:
            # The checks catch_up.py makes, with no await between check and join.
            if _level_with(feed, caught_up, {0: 150}):
                feed.join(caught_up, {0: 150})
            assert not _level_with(feed, behind, {0: 120})
            feed.join(starting, dict(feed.positions))

    slices = PausingSlices(meanwhile)
    await feed._dispatch(0, records(range(100, 150)), slices)
    assert slices.pauses > 3  # within offers (chunks of records) and between them
    assert set(seen_positions) == {150}  # the batch's end, from the first pause on
    for sub in receiving:
        assert offsets(sub) == list(range(100, 150))  # all of it, once
    # Joined during the batch: nothing of it (the catch-up read it; the new one starts after).
    assert offsets(caught_up) == offsets(starting) == offsets(behind) == []
    assert caught_up in feed.subscribers and behind not in feed.subscribers

    # The next batch goes to every subscriber that is receiving, from where each stands.
    await feed._dispatch(0, records(range(150, 155)), PausingSlices(lambda _: None))
    for sub in (*receiving, caught_up, starting):
        assert offsets(sub)[-5:] == list(range(150, 155))
    assert offsets(caught_up) == offsets(starting) == list(range(150, 155))
    # The one behind catches up and joins later, from its own position: no gap, no repeat.
    feed.join(behind, {0: 155})
    await feed._dispatch(0, records(range(150, 160)), PausingSlices(lambda _: None))
    assert offsets(behind) == list(range(155, 160))


async def test_a_subscriber_that_leaves_during_a_batch_is_not_queued_to() -> None:
    feed = TopicFeed(cast("KafkaSettings", None), cast("Cluster", None), "t", lambda: None)
    feed.positions = {0: 0}
    staying, leaving = LiveSubscriber(None, heavy, 10), LiveSubscriber(None, heavy, 10)
    for sub in (staying, leaving):
        feed.register(sub)
        feed.join(sub, {0: 0})

    def meanwhile(pause: int) -> None:
        if pause == 1:
            feed.leave(leaving)
            leaving.close()

    await feed._dispatch(0, records(range(0, 40)), PausingSlices(meanwhile))
    assert offsets(staying) == list(range(40))
    assert offsets(leaving) == []
