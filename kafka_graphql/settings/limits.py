"""The `[limits]` table: what one caller, one operation and one connection may ask of the gateway.

Defaults are safe for a public endpoint; docs/limits.md says what each limit protects, the error a
client sees and how to tune it, and each limit has a test that proves it holds. Every number is
positive (and finite); the pairs where one limit would make another unreachable are refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Self

from pydantic import Field, ValidationError, model_validator

from kafka_graphql.settings.errors import SettingsError
from kafka_graphql.settings.fields import (
    Loading,
    OneOf,
    Positive,
    PositiveNumber,
    Table,
    TypeField,
    loading,
    loading_with,
    refuse,
)
from kafka_graphql.settings.problems import problems

OVERFLOW_POLICIES = ("conflate", "close")


class LimitsSettings(Table):
    """`[limits]`: per operation, per connection, per caller and per process."""

    max_page_size: Positive = 200
    """largest `limit` of a history page"""
    max_batch_size: Positive = 500
    """most messages in one `produceBatch`"""
    max_query_depth: Positive = 10
    """deepest selection allowed, counted through fragments"""
    # graphql-core's rules cost about 15 µs per token of a wide document: 1,200 keeps the
    # slowest document a caller can send within 20 ms of validation (benchmark V1).
    max_query_tokens: Positive = 1200
    """largest document, in GraphQL tokens (validation costs about 15 µs per token:
    [limits](limits.md#validation-is-linear))"""
    max_aliases: Positive = 30
    """most aliases in one document, a fragment's counted once per spread"""
    max_expanded_fields: Positive = 10_000
    """most fields of one document with every fragment spread written out
    ([limits](limits.md#validation-is-linear))"""
    max_field_merges: Positive = 1000
    """most pairs of same-named fields (or fragments in one selection set) that merging a
    document's fields compares"""
    # Lexing is pure Python, and a validation error finds its line by scanning the text (1 MB
    # of comment took 150 ms to parse).
    max_query_bytes: Positive = 32_768
    """largest document text (`query`), in UTF-8 bytes, checked before parsing"""
    max_scan_records: Positive = 10_000
    """records one history page may scan (filters can skip many)"""
    subscriber_buffer_batches: Positive = 64
    """batches a live subscriber may have queued before it is detached and catches up on its
    own (its caller's bytes bound it too: `limits.max_buffered_bytes_per_principal`)"""
    max_subscriptions_per_connection: Positive = 100
    """concurrent subscriptions on one WebSocket; one more is answered with `LIMIT_EXCEEDED`"""
    max_subscriptions_per_principal: Positive = 200
    """concurrent subscriptions of one caller across all of its sockets; one more is answered
    with `LIMIT_EXCEEDED` ([limits.md](limits.md#subscriptions-and-websockets))"""
    max_connections_per_principal: Positive = 20
    """WebSocket connections and SSE/multipart streams of one caller; one more socket is closed
    with 4429 right after `connection_init`, one more stream refused with HTTP 429"""
    connection_init_timeout_s: PositiveNumber = 5.0
    """seconds a new WebSocket may take to send `connection_init`; then it is closed with 4408
    (both subprotocols). A decimal number"""
    max_request_bytes: Positive = 1_048_576
    """largest HTTP body or WebSocket message"""
    max_batch_operations: Positive = 10
    """most operations in one batched HTTP request, when `server.batching` is on; more is 400
    `BAD_REQUEST` and nothing runs ([limits.md](limits.md#structural-caps))"""
    max_query_cost: Positive = 1000
    """most cost points one operation may ask for ([limits.md](limits.md#the-cost-model)); more
    is refused with `COST_LIMIT_EXCEEDED` before anything runs. At most `limits.cost_budget`"""
    cost_budget: Positive = 2000
    """each caller's budget of cost points (a leaky bucket per principal); an operation it does
    not cover is refused with `RATE_LIMITED` and `retryAfter` (HTTP 429 with `Retry-After`)"""
    cost_refill_per_s: PositiveNumber = 100.0
    """points per second that refill each caller's budget (a decimal number)"""
    cost_weights: Mapping[TypeField, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    """a table of `"Type.field" = weight` over the default weights (objects 1, mutations 10,
    subscription opening 10); shown in the SDL as `@cost(weight: N)`; a key that names no
    field of the schema served stops start-up"""
    produce_messages_per_s: Positive = 1000
    """messages per second one caller may write (a second's worth at once); more is
    `RATE_LIMITED`. At least `limits.max_batch_size`"""
    produce_bytes_per_s: Positive = 1_048_576
    """bytes (keys, values, headers) per second one caller may write; more is `RATE_LIMITED`, a
    batch larger than this is `BAD_USER_INPUT`. At least `limits.max_message_bytes`"""
    max_message_bytes: Positive = 1_000_000
    """largest message (key + value + headers, in bytes as written); larger is `BAD_USER_INPUT`
    and nothing is written"""
    delivery_messages_per_s: Positive = 1000
    """messages per second one caller's subscriptions may receive, across all its streams (a
    second's worth at once); beyond it `limits.subscription_overflow` applies"""
    delivery_bytes_per_s: Positive = 1_048_576
    """the same in bytes: the size of each record's value as written (null is 0)"""
    subscription_overflow: Annotated[str, OneOf(OVERFLOW_POLICIES)] = "conflate"
    """`"conflate"`: deliver the newest message per key (null key: per partition) at the
    allowed rate, `skipped` counting the rest; `"close"`: end the stream with `RATE_LIMITED`
    and `extensions.cursor` to resume from"""
    max_pending_keys: Positive = 1000
    """keys one conflating stream may hold waiting (one message each); one more closes it as
    `"close"` does"""
    max_tracked_principals: Positive = 10_000
    """callers whose budgets are remembered (least recently seen beyond it are forgotten, and
    start afresh)"""
    max_filter_conditions: Positive = 20
    """conditions in one `filter` or typed `where` (each operator counts;
    [limits.md](limits.md#filters) says what counts); more is `BAD_USER_INPUT` with
    `extensions.path` before anything runs"""
    max_in_values: Positive = 100
    """values in one `in` (or typed `notIn`) list; more is `BAD_USER_INPUT` with
    `extensions.path` before anything runs"""
    max_headers_per_record: Positive = 64
    """most headers of a record: a produce (any of them, typed ones too) with more is
    `BAD_USER_INPUT` with `extensions.path` (`["headers", 64]`) and nothing is written; a
    record another producer wrote with more shows its first 64, and `headerCount` all of
    them. Headers cost a point per 32 read, a point per 4 written
    ([limits.md](limits.md#headers))"""
    max_header_key_bytes: Positive = 256
    """longest header name, in bytes of UTF-8: a produce with a longer one is `BAD_USER_INPUT`
    with `extensions.path` (`["headers", 2, "key"]`) and nothing is written"""
    max_readers_per_principal: Positive = 8
    """history readers one caller holds at once, of `kafka.max_readers` (at most that); its
    further pages and catch-ups wait for one of them, at most this many at once, else
    `LIMIT_EXCEEDED` ([limits.md](limits.md#kafka-stays-protected))"""
    max_pending_bytes: Positive = 8_388_608
    """bytes of messages one caller's conflating streams may keep waiting, across all of them;
    a message beyond it closes its stream with `RATE_LIMITED` and `extensions.cursor`
    ([limits.md](limits.md#memory-held-per-caller)). At most `limits.max_buffered_bytes`"""
    max_buffered_bytes_per_principal: Positive = 16_777_216
    """bytes one caller's streams may hold otherwise: inbox batches, catch-up readers and
    fetches together (beyond it a live stream catches up on its own, a catch-up waits), and
    apart the frames being written to its sockets (beyond it a frame waits). At most
    `limits.max_buffered_bytes`"""
    max_frame_bytes: Positive = 4_194_304
    """largest message a subscription sends (aliases multiply a value), or one copy of its
    record when that is larger; a larger one is never built: its stream ends with
    `LIMIT_EXCEEDED` and `extensions.cursor`"""
    shared_cache_bytes_per_member: Positive = 65_536
    """bytes of payloads a shared subscription group keeps per member beyond the first (a group
    of one keeps none)"""
    max_shared_cache_bytes: Positive = 4_194_304
    """most bytes of payloads one shared group keeps"""
    max_buffered_bytes: Positive = 536_870_912
    """bytes the whole process may hold for subscribers (every caller's holdings, the groups'
    caches); beyond it new subscriptions are refused with `LIMIT_EXCEEDED` and the caller
    holding the most is cut back (its streams end with `RATE_LIMITED` and
    `extensions.cursor`). Set it to about half the memory the gateway may use"""

    @model_validator(mode="after")
    def _check(self) -> Self:
        if loading() is not None:
            refuse("LimitsSettings", [((), text) for text in limits_problems(self)])
        return self


def limits_problems(limits: LimitsSettings) -> list[str]:
    """The pairs of limits where the first would make the second unreachable: refused rather than
    leaving operations that pass one check but can never pass the other (`{key}`: `limits`)."""
    found: list[str] = []
    if limits.max_query_cost > limits.cost_budget:
        found.append(
            "{key}.max_query_cost must not exceed {key}.cost_budget: an operation that costs "
            "more than the whole budget could never run"
        )
    if limits.max_batch_size > limits.produce_messages_per_s:
        found.append(
            "{key}.max_batch_size must not exceed {key}.produce_messages_per_s: a full batch "
            "could never be written"
        )
    for per_caller in ("max_pending_bytes", "max_buffered_bytes_per_principal"):
        if getattr(limits, per_caller) > limits.max_buffered_bytes:
            found.append(
                f"{{key}}.{per_caller} must not exceed {{key}}.max_buffered_bytes: one caller "
                "could hold more than the whole process may"
            )
    if limits.max_message_bytes > limits.produce_bytes_per_s:
        found.append(
            "{key}.max_message_bytes must not exceed {key}.produce_bytes_per_s: a message of "
            "the largest size could never be written"
        )
    return found


def validate_limits(limits: LimitsSettings) -> None:
    """Check `limits` as loading the configuration would; raises SettingsError naming the key."""
    try:
        with loading_with(Loading()):
            LimitsSettings.model_validate(limits.model_dump())
    except ValidationError as error:
        raise SettingsError(problems(error, LimitsSettings, "limits")) from None


def weight_keys(weights: Mapping[str, int]) -> dict[tuple[str, str], int]:
    """`{"Query.topics": 5}` as `{("Query", "topics"): 5}`."""
    pairs = (key.split(".", 1) for key in weights)
    return {(type_name, name): weights[f"{type_name}.{name}"] for type_name, name in pairs}
