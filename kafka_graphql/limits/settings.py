"""The `[limits]` table: what one caller, one operation and one connection may ask of the gateway.

Defaults are safe for a public endpoint; docs/limits.md says what each limit protects, the error a
client sees and how to tune it, and each limit has a test that proves it holds.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field


class LimitsSettingsError(ValueError):
    """A `[limits]` value that cannot be used; the message names the key."""


@dataclass(frozen=True, slots=True)
class LimitsSettings:
    max_page_size: int = 200
    max_batch_size: int = 500
    max_query_depth: int = 10
    # graphql-core's rules cost about 15 µs per token of a wide document: 1,200 keeps the
    # slowest document a caller can send within 20 ms of validation (benchmark V1).
    max_query_tokens: int = 1200
    max_aliases: int = 30
    # Validation is linear (limits/structure.py): the fields a document would have with every
    # fragment spread written out, and the pairs of same-named fields merging them compares.
    max_expanded_fields: int = 10_000
    max_field_merges: int = 1_000
    # The document's text (a request's `query`): lexing is pure Python, and a validation error
    # finds its line by scanning the text (1 MB of comment took 150 ms to parse).
    max_query_bytes: int = 32_768
    # Records scanned by one history page before it returns what it has (filters can skip many).
    max_scan_records: int = 10_000
    # Batches a live subscriber may have waiting; beyond it the subscriber catches up on its own.
    subscriber_buffer_batches: int = 64
    max_subscriptions_per_connection: int = 100
    # Across all of one caller's sockets: live subscriptions, and WebSocket connections.
    max_subscriptions_per_principal: int = 200
    max_connections_per_principal: int = 20
    # Seconds a new WebSocket may take to send `connection_init` (Strawberry's default is 60).
    connection_init_timeout_s: float = 5.0
    max_request_bytes: int = 1_048_576
    # Operations in one batched HTTP request (a JSON array), when `server.batching` is on.
    max_batch_operations: int = 10
    # Query cost (docs/limits.md#the-cost-model): the most one operation may cost, and each
    # caller's leaky bucket of points, refilled continuously.
    max_query_cost: int = 1000
    cost_budget: int = 2000
    cost_refill_per_s: float = 100.0
    # "Type.field" -> weight, over the defaults (shown in the SDL as `@cost(weight: N)`).
    cost_weights: Mapping[str, int] = field(default_factory=dict)
    # Produce, per caller: messages and bytes per second (a burst of one second's worth), and
    # the largest message (key + value + headers).
    produce_messages_per_s: int = 1000
    produce_bytes_per_s: int = 1_048_576
    max_message_bytes: int = 1_000_000
    # Delivery to subscribers, per caller across all of its streams: messages and bytes of
    # record values per second (a burst of one second's worth). Beyond it, `subscription_overflow`:
    # "conflate" (the newest message per key, at the allowed rate) or "close" (RATE_LIMITED with
    # the cursor to resume from). A conflating stream holds at most `max_pending_keys` keys
    # waiting; one more closes it as "close" would.
    delivery_messages_per_s: int = 1000
    delivery_bytes_per_s: int = 1_048_576
    subscription_overflow: str = "conflate"
    max_pending_keys: int = 1000
    # Callers whose budgets are remembered; the least recently seen beyond it are forgotten.
    max_tracked_principals: int = 10_000
    # Filters (`filter`, typed `where`): conditions in one filter, and values in one `in` or
    # `notIn` list (docs/limits.md#filters; what counts: filter_bounds.py).
    max_filter_conditions: int = 20
    max_in_values: int = 100
    # Headers (docs/limits.md#headers): a record written through the gateway has at most
    # `max_headers_per_record`, each name at most `max_header_key_bytes` (UTF-8); a record read
    # shows its first `max_headers_per_record`.
    max_headers_per_record: int = 64
    max_header_key_bytes: int = 256
    # History readers (Kafka consumers for pages and catch-ups) one caller holds at once, of
    # `kafka.max_readers`; beyond, its requests wait for one of their own (docs/limits.md).
    max_readers_per_principal: int = 8
    # Memory held for subscribers, in bytes (docs/limits.md#memory-held-per-caller): per caller,
    # the messages its conflating streams keep waiting, and what its streams hold otherwise
    # (inbox batches, catch-up fetches, frames being written); the largest message a stream
    # sends (aliases multiply a value); a shared group's payload cache, per member beyond the
    # first and at most; the whole process, beyond which subscriptions are refused and the
    # caller holding the most is cut back.
    max_pending_bytes: int = 8 * 1024 * 1024
    max_buffered_bytes_per_principal: int = 16 * 1024 * 1024
    max_frame_bytes: int = 4 * 1024 * 1024
    shared_cache_bytes_per_member: int = 64 * 1024
    max_shared_cache_bytes: int = 4 * 1024 * 1024
    max_buffered_bytes: int = 512 * 1024 * 1024


OVERFLOW_POLICIES = ("conflate", "close")

# `Type.field`, both GraphQL names.
_WEIGHT_KEY = re.compile(r"[_A-Za-z][_0-9A-Za-z]*\.[_A-Za-z][_0-9A-Za-z]*")


def validate_limits(limits: LimitsSettings) -> None:
    """Raises LimitsSettingsError naming the key of a value that cannot work."""
    for limit in dataclasses.fields(LimitsSettings):
        value = getattr(limits, limit.name)
        if isinstance(value, int | float) and value <= 0:
            raise LimitsSettingsError(f"limits.{limit.name} must be positive")
    for key, weight in limits.cost_weights.items():
        if not _WEIGHT_KEY.fullmatch(key):
            raise LimitsSettingsError(
                f'limits.cost_weights key "{key}" must name a field as Type.field'
            )
        if weight < 0:
            raise LimitsSettingsError(f'limits.cost_weights."{key}" must not be negative')
    if limits.subscription_overflow not in OVERFLOW_POLICIES:
        raise LimitsSettingsError(
            'limits.subscription_overflow must be "conflate" or "close", not '
            f'"{limits.subscription_overflow}"'
        )
    # A pair of limits where the first would make the second unreachable: refused rather than
    # leaving operations that pass one check but can never pass the other.
    if limits.max_query_cost > limits.cost_budget:
        raise LimitsSettingsError(
            "limits.max_query_cost must not exceed limits.cost_budget: an operation that costs "
            "more than the whole budget could never run"
        )
    if limits.max_batch_size > limits.produce_messages_per_s:
        raise LimitsSettingsError(
            "limits.max_batch_size must not exceed limits.produce_messages_per_s: a full batch "
            "could never be written"
        )
    for per_caller in ("max_pending_bytes", "max_buffered_bytes_per_principal"):
        if getattr(limits, per_caller) > limits.max_buffered_bytes:
            raise LimitsSettingsError(
                f"limits.{per_caller} must not exceed limits.max_buffered_bytes: one caller "
                "could hold more than the whole process may"
            )
    if limits.max_message_bytes > limits.produce_bytes_per_s:
        raise LimitsSettingsError(
            "limits.max_message_bytes must not exceed limits.produce_bytes_per_s: a message of "
            "the largest size could never be written"
        )


def weight_keys(weights: Mapping[str, int]) -> dict[tuple[str, str], int]:
    """`{"Query.topics": 5}` as `{("Query", "topics"): 5}`."""
    pairs = (key.split(".", 1) for key in weights)
    return {(type_name, name): weights[f"{type_name}.{name}"] for type_name, name in pairs}
