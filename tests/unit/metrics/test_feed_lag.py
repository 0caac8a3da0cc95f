"""A live feed's lag, from what its consumer's fetches said and what its watchdog read."""

from __future__ import annotations

from aiokafka import TopicPartition

from kafka_graphql.kafka.feed_lag import feed_lag


class Consumer:
    """What feed_lag reads of an aiokafka consumer."""

    def __init__(self, highwaters: dict[int, int | None]) -> None:
        self.highwaters = highwaters

    def assignment(self) -> set[TopicPartition]:
        return {TopicPartition("t", p) for p in self.highwaters}

    def highwater(self, tp: TopicPartition) -> int | None:
        return self.highwaters[tp.partition]


def test_the_later_end_counts_and_partitions_without_one_are_left_out() -> None:
    consumer = Consumer({0: 12, 1: None, 2: 5, 3: None})
    positions = {0: 5, 1: 3, 2: 5, 3: 0, 4: 2}
    # 1: fetched nothing yet, the watchdog read 9; 2: the consumer heard 5, the watchdog 8
    # (the consumer stopped fetching); 3: nothing known; 4: not assigned (being replaced).
    ends = {1: 9, 2: 8, 4: 6}
    assert feed_lag(consumer, "t", positions, ends) == {0: 7, 1: 6, 2: 3, 4: 4}


def test_a_feed_ahead_of_a_stale_end_is_not_behind() -> None:
    assert feed_lag(Consumer({0: 3}), "t", {0: 5}, {0: 4}) == {0: 0}
    assert feed_lag(None, "t", {0: 5}, {}) == {}
