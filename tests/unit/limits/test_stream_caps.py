"""Per-caller caps on subscriptions and connections, and eviction that keeps busy callers."""

from __future__ import annotations

import pytest

from kafka_graphql.core.errors import LimitExceeded
from kafka_graphql.core.limits.registry import LimitsRegistry
from kafka_graphql.settings import LimitsSettings
from tests.clock import FakeClock


def test_subscriptions_per_caller_are_capped_and_released() -> None:
    registry = LimitsRegistry(LimitsSettings(max_subscriptions_per_principal=2), FakeClock())
    for _ in range(2):
        registry.check_subscription("alice")
        registry.open_subscription("alice")
    with pytest.raises(LimitExceeded, match="max_subscriptions_per_principal"):
        registry.check_subscription("alice")
    registry.check_subscription("bob")  # another caller, its own slots
    registry.close_subscription("alice")
    registry.check_subscription("alice")


def test_connections_per_caller_are_capped_and_released() -> None:
    registry = LimitsRegistry(LimitsSettings(max_connections_per_principal=2), FakeClock())
    assert registry.open_connection("alice") and registry.open_connection("alice")
    assert not registry.open_connection("alice")
    assert registry.state("alice").connections == 2  # the refusal counted nothing
    registry.close_connection("alice")
    assert registry.open_connection("alice")


def test_eviction_keeps_callers_with_open_streams_or_connections() -> None:
    bound = 100
    registry = LimitsRegistry(LimitsSettings(max_tracked_principals=bound), FakeClock())
    registry.open_subscription("streaming")
    assert registry.open_connection("connected")
    for n in range(10_000):
        registry.spend(f"caller-{n}", 10)  # not at rest: only the bound evicts them
        assert len(registry) <= bound + 2
    assert registry.state("streaming").subscriptions == 1
    assert registry.state("connected").connections == 1
    # Once they hold nothing, they are forgotten like anyone else.
    registry.close_subscription("streaming")
    registry.close_connection("connected")
    for n in range(10_000, 10_000 + 2 * bound):
        registry.spend(f"caller-{n}", 10)
    assert len(registry) == bound
    assert "streaming" not in registry._states and "connected" not in registry._states
