"""What a call into the core needs, in one object every face holds: the settings, the exposed
topics, the typed topics' codecs, the cursor sealer, every caller's budgets and the Kafka layer.

The core's entry points take it first, with the caller and what the call is about:
`produce.produce` (writes), `pages.read_page` (a bounded read of history) and
`streams.open_stream` (a live stream, replaying history first when asked). A face translates its
wire format into their arguments and their dataclasses and coded errors into its own shapes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from kafka_graphql.core.cursor import CursorSealer
from kafka_graphql.core.kafka_layer import KafkaLayer
from kafka_graphql.core.limits.registry import LimitsRegistry
from kafka_graphql.core.telemetry import NO_TELEMETRY, Telemetry
from kafka_graphql.core.topics import TopicRegistry
from kafka_graphql.core.typed.records import TypedRecords
from kafka_graphql.settings import Settings


@dataclass(frozen=True, slots=True)
class Core:
    settings: Settings
    kafka: KafkaLayer
    topics: TopicRegistry
    # Seals the cursors the API hands out and opens those it is given (core/cursor.py).
    cursors: CursorSealer
    # Typed topics by name: every API that reads or writes them goes through their codec.
    typed: Mapping[str, TypedRecords] = field(default_factory=dict)
    # Every caller's budgets (one registry per gateway process; a fresh one has the defaults).
    limits: LimitsRegistry = field(default_factory=LimitsRegistry)
    # Where operations, writes, deliveries and refusals are reported (core/telemetry.py).
    telemetry: Telemetry = NO_TELEMETRY
