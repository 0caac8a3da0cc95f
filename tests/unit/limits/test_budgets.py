"""Budgets per caller (a leaky bucket on a clock the tests move), produce limits, and
the registry's bound on memory."""

from __future__ import annotations

import tracemalloc

import pytest

from kafka_graphql.core.errors import BadUserInput, RateLimited
from kafka_graphql.core.limits.bucket import LeakyBucket
from kafka_graphql.core.limits.registry import LimitsRegistry
from kafka_graphql.settings import LimitsSettings
from tests.clock import FakeClock


def test_a_bucket_empties_with_use_and_refills_with_time() -> None:
    clock = FakeClock()
    bucket = LeakyBucket(100, 10, clock)  # 100 points, 10 per second
    assert bucket.available() == 100
    bucket.take(80)
    assert bucket.wait_for(20) == 0
    assert bucket.wait_for(30) == pytest.approx(1.0)  # 10 more points: one second
    clock.advance(1.5)
    assert bucket.available() == pytest.approx(35)
    assert bucket.full_in() == pytest.approx(6.5)
    bucket.give_back(1000)  # never beyond full
    assert bucket.available() == 100
    assert bucket.at_rest()


def test_its_capacity_check_reads_the_injected_clock() -> None:
    clock = FakeClock()
    bucket = LeakyBucket(10, 1, clock)
    bucket.take(10)
    assert not bucket.has_capacity(1)  # read on our clock, not the event loop's
    clock.advance(1)
    assert bucket.has_capacity(1)
    assert not bucket.has_capacity(2)


def test_a_spent_budget_refuses_with_retry_after_then_refills() -> None:
    clock = FakeClock()
    registry = LimitsRegistry(
        LimitsSettings(max_query_cost=100, cost_budget=100, cost_refill_per_s=4), clock
    )
    registry.spend("alice", 60)
    registry.spend("alice", 40)
    with pytest.raises(RateLimited) as refused:
        registry.spend("alice", 10)
    assert refused.value.extensions == {"retryAfter": 3}  # 10 points at 4 per second: 2.5 s
    assert "retry in 3 s" in refused.value.message
    assert registry.budget("alice").available == 0  # a refusal takes nothing
    clock.advance(2.5)
    registry.spend("alice", 10)
    assert registry.budget("alice").available == 0
    clock.advance(25)
    status = registry.budget("alice")
    assert (status.maximum, status.available, status.restore_rate) == (100, 100, 4)


def test_what_an_operation_did_not_use_is_given_back() -> None:
    clock = FakeClock()
    registry = LimitsRegistry(LimitsSettings(cost_budget=1000), clock)
    registry.spend("alice", 201)
    registry.refund("alice", 201 - 7)  # a page asked for 200 messages and got 3
    assert registry.budget("alice").available == 1000 - 7


def test_callers_have_budgets_of_their_own() -> None:
    registry = LimitsRegistry(LimitsSettings(max_query_cost=50, cost_budget=50), FakeClock())
    registry.spend("alice", 50)
    with pytest.raises(RateLimited):
        registry.spend("alice", 1)
    registry.spend("bob", 50)
    registry.spend("ip:192.0.2.7", 50)
    assert registry.budget("carol").available == 50  # not seen yet: all of it


def test_the_budget_says_when_it_is_full_again() -> None:
    clock, wall = FakeClock(), FakeClock(now=1_800_000_000.0)
    registry = LimitsRegistry(LimitsSettings(cost_refill_per_s=10), clock, wall)
    registry.spend("alice", 300)
    assert registry.budget("alice").full_at == pytest.approx(1_800_000_000.0 + 30)


PRODUCE = LimitsSettings(
    max_batch_size=10,
    produce_messages_per_s=10,
    produce_bytes_per_s=1000,
    max_message_bytes=400,
)


def test_a_message_over_max_message_bytes_is_bad_input() -> None:
    registry = LimitsRegistry(PRODUCE, FakeClock())
    with pytest.raises(BadUserInput, match="message 1 is 401 bytes"):
        registry.admit_produce("alice", [10, 401])
    with pytest.raises(BadUserInput, match="more than the 1000 one caller may write per second"):
        registry.admit_produce("alice", [400, 400, 300])  # each fits, together never
    registry.admit_produce("alice", [400])


def test_produce_rates_refuse_with_retry_after_and_take_nothing_then() -> None:
    clock = FakeClock()
    registry = LimitsRegistry(PRODUCE, clock)
    registry.admit_produce("alice", [1] * 8)
    with pytest.raises(RateLimited) as refused:
        registry.admit_produce("alice", [1] * 3)  # 11 messages in a second
    assert refused.value.extensions == {"retryAfter": 1}
    registry.admit_produce("alice", [1, 1])  # the refusal took nothing
    clock.advance(1)
    registry.admit_produce("alice", [300, 300, 300])
    with pytest.raises(RateLimited):
        registry.admit_produce("alice", [200])  # bytes, this time: 1100 in a second
    registry.admit_produce("bob", [400, 400])  # another caller, other rates
    clock.advance(0.2)
    registry.admit_produce("alice", [100])


def test_the_registry_stays_bounded_with_100000_callers() -> None:
    bound = 1000
    registry = LimitsRegistry(LimitsSettings(max_tracked_principals=bound), FakeClock())

    def callers(numbers: range) -> None:
        for n in numbers:
            registry.spend(f"ip:10.{n >> 16}.{(n >> 8) & 255}.{n & 255}", 10)
            registry.admit_produce(f"caller-{n}", [100])
            assert len(registry) <= bound

    callers(range(100_000))
    assert len(registry) == bound
    # Full, it does not grow: each new caller takes the place of the least recently seen. What
    # 20,000 more callers leave allocated is the 1,000 newest entries (some 700 KB), not 20,000.
    tracemalloc.start()
    try:
        callers(range(100_000, 110_000))
        retained, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(registry) == bound
    assert retained < 2_000_000


def test_callers_whose_buckets_are_full_again_are_forgotten_first() -> None:
    clock = FakeClock()
    registry = LimitsRegistry(LimitsSettings(cost_refill_per_s=100), clock)
    for n in range(50):
        registry.spend(f"old-{n}", 10)
    clock.advance(1)  # their 10 points are back
    for n in range(50):
        registry.spend(f"new-{n}", 10)
    # Each newcomer looked at the oldest entries and dropped those at rest.
    assert len(registry) == 50
    assert registry.budget("old-0").available == registry.settings.cost_budget
