"""The core's entry points (core/produce.py, core/pages.py, core/streams.py) without a broker:
what they refuse before Kafka is asked anything, and what they make of Kafka's answers (a
stand-in Kafka layer that records every call)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import pytest

from kafka_graphql.core.auth.field_masks import FieldView
from kafka_graphql.core.auth.principal import Principal
from kafka_graphql.core.cursor import KEY_BYTES, CursorSealer
from kafka_graphql.core.errors import (
    BadRequest,
    BadUserInput,
    Forbidden,
    GatewayError,
    KafkaTimeout,
    NoSuchPartition,
    NotFound,
)
from kafka_graphql.core.filters.predicates import Predicate
from kafka_graphql.core.gateway import Core
from kafka_graphql.core.pages import read_page
from kafka_graphql.core.produce import NewRecord, RawValue, Written, produce, produce_each
from kafka_graphql.core.reads import Start
from kafka_graphql.core.selection import MessageFilter
from kafka_graphql.core.streams import open_stream
from kafka_graphql.core.topics import TopicRegistry
from kafka_graphql.core.typed.records import Decoded
from kafka_graphql.dev.tokens import ensure_dev_key
from kafka_graphql.kafka import KafkaGateway, OutgoingRecord, ProduceAck, Record
from kafka_graphql.kafka.records import Page, PartitionOffsets
from kafka_graphql.settings import settings_from_mapping

SEALER = CursorSealer([os.urandom(KEY_BYTES)])
READER = Principal("reader", scopes=frozenset({"kafka:read:*"}))
WRITER = Principal("writer", scopes=frozenset({"kafka:read:*", "kafka:write:*"}))


class StandInKafka:
    """Two partitions; every call is recorded."""

    def __init__(self, records: Sequence[Record] = ()) -> None:
        self.calls: list[str] = []
        self.records = list(records)
        self.written: list[OutgoingRecord] = []

    async def partitions(self, topic: str) -> tuple[int, ...]:
        self.calls.append("partitions")
        return (0, 1)

    async def offsets(self, topic: str, partitions: Sequence[int]) -> dict[int, PartitionOffsets]:
        self.calls.append("offsets")
        return {p: PartitionOffsets(p, 0, 10) for p in partitions}

    async def produce(self, topic: str, records: Sequence[OutgoingRecord]) -> list[ProduceAck]:
        self.calls.append("produce")
        self.written.extend(records)
        return [ProduceAck(topic, r.partition or 0, 7 + i, 1000) for i, r in enumerate(records)]

    async def produce_each(
        self, topic: str, records: Sequence[OutgoingRecord]
    ) -> list[ProduceAck | GatewayError]:
        """The first record acknowledged, the others' outcome unknown."""
        self.calls.append("produce_each")
        self.written.extend(records)
        unknown = KafkaTimeout("not acknowledged in time")
        return [ProduceAck(topic, 0, 7, 1000), *(unknown for _ in records[1:])]

    async def read_page(
        self, topic: str, start: Any, end: Any, limit: int, predicate: Predicate, *_: Any, **__: Any
    ) -> Page:
        """The records that match, as the Kafka layer runs the predicate."""
        self.calls.append("read_page")
        return Page([r for r in self.records if predicate(r)], {0: 3, 1: 0}, has_more=False)

    def stream(
        self, topic: str, start: Any, partitions: Any, predicate: Predicate, *_: Any, **__: Any
    ) -> AsyncIterator[tuple[Record, Mapping[int, int]]]:
        self.calls.append("stream")

        async def records() -> AsyncIterator[tuple[Record, Mapping[int, int]]]:
            for r in self.records:
                if predicate(r):
                    yield r, {r.partition: r.offset + 1}

        return records()


@pytest.fixture(scope="module")
def auth(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    key = ensure_dev_key(tmp_path_factory.mktemp("keys"))
    return {
        "algorithms": ["RS256"],
        "issuer": "https://id.example.com/",
        "audience": "kafka-graphql",
        "public_key_file": str(key.public_key_file),
    }


def core(kafka: StandInKafka, auth: dict[str, Any] | None = None, **limits: int) -> Core:
    raw: dict[str, Any] = {"topics": [{"name": "orders"}], "limits": limits}
    if auth is not None:
        raw["auth"] = auth
    settings = settings_from_mapping(raw, Path.cwd())
    return Core(settings, cast("KafkaGateway", kafka), TopicRegistry(settings.topics), SEALER)


def record(offset: int, value: object, key: str | None = None) -> Record:
    return Record("orders", 0, offset, 0, key, value, (), b"{}")


def message(
    r: Record, positions: Mapping[int, int], _: Decoded | None, __: FieldView, ___: CursorSealer
) -> tuple[int, object, dict[int, int]]:
    return r.offset, r.value, dict(positions)


async def test_a_write_is_checked_then_written_and_acknowledged() -> None:
    kafka = StandInKafka()
    written = await produce(
        core(kafka), WRITER, "orders", [NewRecord({"n": 1}, "k", None, 1)], batch=None
    )
    assert written == [Written("orders", 1, 7, 1000)]
    assert kafka.calls == ["partitions", "produce"]
    assert kafka.written[0].value == b'{"n":1}' and kafka.written[0].key == b"k"


@pytest.mark.parametrize(
    ("topic", "records", "refusal"),
    [
        ("secret", [NewRecord(1)], NotFound),
        ("orders", [NewRecord(1, partition=-1)], BadUserInput),
        ("orders", [NewRecord(float("nan"))], BadRequest),
        ("orders", [NewRecord("\ud800")], BadUserInput),
        # A tombstone deletes a key: without one it is nothing Kafka takes.
        ("orders", [NewRecord(RawValue(None))], BadUserInput),
    ],
)
async def test_a_refused_write_never_reaches_kafka(
    topic: str, records: list[NewRecord], refusal: type[Exception]
) -> None:
    kafka = StandInKafka()
    with pytest.raises(refusal):
        await produce(core(kafka), WRITER, topic, records)
    assert kafka.calls == []


async def test_a_batch_is_refused_whole_and_names_the_record() -> None:
    kafka = StandInKafka()
    too_many = [NewRecord(1)] * 3
    with pytest.raises(BadUserInput, match="3"):
        await produce(core(kafka, max_batch_size=2), WRITER, "orders", too_many, batch="messages")
    headers = [_Header(str(i)) for i in range(3)]
    batch = [NewRecord(1), NewRecord(1, headers=headers)]
    with pytest.raises(BadUserInput) as refused:
        await produce(
            core(kafka, max_headers_per_record=2), WRITER, "orders", batch, batch="records"
        )
    # Named as the face names the batch (the REST body's `records`, GraphQL's `messages`).
    assert refused.value.extensions["path"][:2] == ["records", 1]
    assert kafka.calls == []


async def test_a_reader_may_not_write_and_a_stranger_sees_nothing(auth: dict[str, Any]) -> None:
    kafka = StandInKafka()
    with pytest.raises(Forbidden):
        await produce(core(kafka, auth), READER, "orders", [NewRecord(1)])
    stranger = Principal("stranger")
    with pytest.raises(NotFound):
        await produce(core(kafka, auth), stranger, "orders", [NewRecord(1)])
    with pytest.raises(NotFound):
        await read_page(core(kafka, auth), stranger, "orders", Start(), MessageFilter(), 5, message)
    with pytest.raises(NotFound):
        await open_stream(core(kafka, auth), stranger, "orders", Start(), MessageFilter(), message)
    assert kafka.calls == []


async def test_a_page_is_the_matches_with_their_cursors() -> None:
    kafka = StandInKafka([record(0, {"n": 1}), record(1, {"n": 2}), record(2, {"n": 3})])
    wanted = MessageFilter({"value": [{"path": "n", "gte": 2}]})
    page = await read_page(core(kafka), WRITER, "orders", Start(), wanted, 5, message)
    # Each message's positions: the page's, up to and including it.
    assert page.messages == [(1, {"n": 2}, {0: 2, 1: 0}), (2, {"n": 3}, {0: 3, 1: 0})]
    assert SEALER.open(page.next_cursor, "orders") == {0: 3, 1: 0}
    assert page.filter_size is not None and page.filter_size.conditions == 1
    assert kafka.calls == ["partitions", "offsets", "read_page"]


@pytest.mark.parametrize(
    ("start", "given", "limit", "refusal"),
    [
        (Start(), MessageFilter(), 0, "first must be between 1 and"),
        (Start(after="nonsense"), MessageFilter(), 5, "cursor"),
        (Start(from_offset=1, from_timestamp=None, after=""), MessageFilter(), 5, "at most one"),
        (Start(partitions=[]), MessageFilter(), 5, "partitions must not be empty"),
        (Start(partitions=[7]), MessageFilter(), 5, "no partition 7"),
        (Start(), MessageFilter({"value": [{"path": "n", "in": [1] * 101}]}), 5, "100"),
    ],
)
async def test_a_refused_read_reads_nothing(
    start: Start, given: MessageFilter, limit: int, refusal: str
) -> None:
    kafka = StandInKafka()
    with pytest.raises(BadUserInput, match=refusal):
        await read_page(
            core(kafka), WRITER, "orders", start, given, limit, message, limit_name="first"
        )
    assert "read_page" not in kafka.calls and "stream" not in kafka.calls


async def test_one_stream_opening_for_every_face() -> None:
    kafka = StandInKafka([record(0, {"n": 1}, "a"), record(1, {"n": 2}, "b")])
    stream = await open_stream(
        core(kafka), WRITER, "orders", Start(), MessageFilter({"key": "b"}), message
    )
    # A stream from the end asks for no offsets: the live feed places it.
    assert kafka.calls == ["partitions", "stream"]
    assert [m async for _, _, m in stream.matched] == [(1, {"n": 2}, {0: 2})]
    await stream.aclose()


async def test_a_write_told_record_by_record() -> None:
    kafka = StandInKafka()
    records = [NewRecord({"n": 1}), NewRecord(RawValue(b"\x00\xff"), key=b"\x01")]
    first, second = await produce_each(core(kafka), WRITER, "orders", records, batch="records")
    assert first == Written("orders", 0, 7, 1000)
    assert isinstance(second, KafkaTimeout)
    assert kafka.calls == ["partitions", "produce_each"]
    # Bytes are written as they are; a RawValue of None is no value at all (a tombstone).
    assert (kafka.written[1].value, kafka.written[1].key) == (b"\x00\xff", b"\x01")


async def test_raw_bytes_and_tombstones_and_binary_headers_are_written_as_given() -> None:
    kafka = StandInKafka()
    header = _Header("trace", b"\xfe")
    tombstone = NewRecord(RawValue(None), key="k", headers=[header])
    await produce(core(kafka), WRITER, "orders", [tombstone])
    assert (kafka.written[0].value, kafka.written[0].key) == (None, b"k")
    assert kafka.written[0].headers == (("trace", b"\xfe"),)


async def test_a_partition_the_topic_lacks_is_refused_before_the_write() -> None:
    kafka = StandInKafka()
    with pytest.raises(NoSuchPartition, match="no partition 5"):
        await produce_each(core(kafka), WRITER, "orders", [NewRecord(1, partition=5)], batch=None)
    assert kafka.calls == ["partitions"]


class _Header:
    def __init__(self, key: str, value: str | bytes | None = None) -> None:
        self.key, self.value = key, value
