"""The [limits] table: its defaults, and every value that cannot work refused at start-up with the
key named."""

from __future__ import annotations

import re
import tomllib

import pytest

from kafka_graphql.cli import schema_sdl
from kafka_graphql.core.typed.startup import StartupFailed
from kafka_graphql.settings import SettingsError, settings_from_mapping
from tests.unit.typed.helpers import FIXTURES
from tests.unit.typed.test_sdl_snapshots import CASES as SDL_CASES


def test_the_defaults_bound_every_caller() -> None:
    limits = settings_from_mapping({}).limits
    assert limits.max_query_cost <= limits.cost_budget
    assert 0 < limits.cost_refill_per_s < limits.cost_budget
    assert limits.max_batch_size <= limits.produce_messages_per_s
    # The largest message fits in Kafka's default message.max.bytes (1048588), so a client is
    # told BAD_USER_INPUT rather than the broker's refusal.
    assert limits.max_message_bytes <= limits.produce_bytes_per_s
    assert limits.max_message_bytes < 1_048_588
    assert limits.max_tracked_principals <= 100_000
    assert limits.cost_weights == {}


def test_weights_and_rates_from_a_file() -> None:
    raw = tomllib.loads("""
[limits]
max_query_cost = 500
cost_budget = 2000
cost_refill_per_s = 12.5
produce_bytes_per_s = 2_000_000

[limits.cost_weights]
"Topic.partitions" = 5
"Mutation.produce" = 0
""")
    limits = settings_from_mapping(raw).limits
    assert limits.cost_refill_per_s == 12.5
    assert limits.cost_weights == {"Topic.partitions": 5, "Mutation.produce": 0}


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"max_query_cost": 0}, "limits.max_query_cost must be positive"),
        ({"cost_refill_per_s": 0}, "limits.cost_refill_per_s must be positive"),
        ({"max_tracked_principals": -1}, "limits.max_tracked_principals must be positive"),
        ({"cost_weights": {"Query.topics": "5"}}, 'limits.cost_weights."Query.topics" must be an'),
        ({"cost_weights": {"Query.topics": True}}, 'limits.cost_weights."Query.topics" must be an'),
        ({"cost_weights": {"Query.topics": -1}}, 'limits.cost_weights."Query.topics" must not be'),
        ({"cost_weights": {"topics": 1}}, 'limits.cost_weights key "topics" must name a field'),
        ({"cost_weights": {"Query.a.b": 1}}, 'key "Query.a.b" must name a field as Type.field'),
        (
            {"max_query_cost": 2000, "cost_budget": 1000},
            "limits.max_query_cost must not exceed limits.cost_budget",
        ),
        (
            {"produce_messages_per_s": 100},
            "limits.max_batch_size must not exceed limits.produce_messages_per_s",
        ),
        (
            {"produce_bytes_per_s": 1000},
            "limits.max_message_bytes must not exceed limits.produce_bytes_per_s",
        ),
    ],
)
def test_values_that_cannot_work_are_refused(limits: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        settings_from_mapping({"limits": limits})


async def test_a_weight_for_no_field_of_the_served_schema_stops_start_up() -> None:
    weight = '\n[limits.cost_weights]\n"Query.orders" = 2\n'
    generic = settings_from_mapping(tomllib.loads(weight))
    with pytest.raises(StartupFailed, match=re.escape('"Query.orders" names no field')):
        await schema_sdl(generic)
    # With the typed topic that adds it, the field exists, and its weight shows.
    typed = settings_from_mapping(tomllib.loads(SDL_CASES["order"] + weight), FIXTURES)
    assert (
        "where: OrderWhere, onGap: OnGap! = REPORT): OrderConnection! @cost(weight: 2)"
        in await schema_sdl(typed)
    )
