"""The live feed's filter index: a record is offered to the subscribers filed under its key or
one of its header pairs, and to the unfiled ones; never anything that changes what they get."""

from __future__ import annotations

from typing import cast

from kafka_graphql.core.filters.predicates import FilterSpec, compile_filter, index_hint
from kafka_graphql.core.record_rules import record_rule_hint
from kafka_graphql.core.typed.where.compile import key_equality
from kafka_graphql.kafka.cluster import Cluster
from kafka_graphql.kafka.live_feed import TopicFeed
from kafka_graphql.kafka.live_index import FeedIndex, IndexHint, both
from kafka_graphql.kafka.live_subscriber import Delivery, LiveSubscriber
from kafka_graphql.kafka.records import Header, Record
from kafka_graphql.settings import KafkaSettings, RecordRule


def record(offset: int, key: str | None, *headers: tuple[str, str | None]) -> Record:
    return Record("t", 0, offset, 0, key, {"n": offset}, tuple(Header(k, v) for k, v in headers))


def feed() -> TopicFeed:
    # Dispatching touches neither the cluster nor a consumer: the feed is never started.
    return TopicFeed(KafkaSettings(), cast("Cluster", None), "t", lambda: None)


def subscriber(spec: FilterSpec | None, max_batches: int = 10) -> LiveSubscriber:
    return LiveSubscriber(None, compile_filter(spec), max_batches)


def queued(sub: LiveSubscriber) -> list[Delivery]:
    return list(sub._items or ())  # the inbox exists only once something was delivered


def offsets(sub: LiveSubscriber) -> list[int]:
    return [r.offset for _, records, _, _ in queued(sub) for r in records]


def test_hints_of_filters() -> None:
    assert index_hint(None) is None
    assert index_hint(FilterSpec(key_prefix="a")) is None
    assert index_hint(FilterSpec(headers=(("tenant", None),))) is None  # presence only
    assert index_hint(FilterSpec(key="a")) == IndexHint("a")
    spec = FilterSpec(headers=(("x", None), ("tenant", "t1")))
    assert index_hint(spec) == IndexHint(None, (("tenant", "t1"),))
    # The key is preferred; ANDed hints keep every equality.
    assert IndexHint("a", (("h", "v"),)).slot() == (None, "a")
    assert IndexHint(headers=(("h", "v"),)).slot() == ("h", "v")
    assert both(None, IndexHint("a")) == IndexHint("a")
    assert both(IndexHint(headers=(("h", "v"),)), IndexHint("a")) == IndexHint("a", (("h", "v"),))


def test_route_offers_only_what_may_match() -> None:
    index: FeedIndex[str] = FeedIndex()
    index.hint("a", IndexHint("a"))
    index.hint("tenant1", IndexHint(headers=(("tenant", "1"),)))
    index.hint("plain", None)
    for name in ("a", "tenant1", "plain"):
        index.add(name)
    batch = [
        record(0, "a"),
        record(1, "b", ("tenant", "1"), ("tenant", "1")),
        record(2, "a", ("tenant", "2")),
        record(3, None, ("tenant", None)),
    ]
    routed = index.route(batch)
    assert {s: [r.offset for r in rs] for s, rs in routed.items()} == {"a": [0, 2], "tenant1": [1]}
    assert list(index.unfiled) == ["plain"]
    index.discard("a")
    assert "a" not in index.route(batch)
    index.add("a")  # re-joined after catching up: filed where it was
    assert [r.offset for r in index.route(batch)["a"]] == [0, 2]
    index.forget("a")
    index.add("a")  # forgotten: unfiled from now on
    assert "a" in index.unfiled and "a" not in index.route(batch)
    index.forget("tenant1")
    assert not index.filed


async def test_feed_offers_to_matching_and_unindexed_subscribers_only() -> None:
    topic = feed()
    by_key = {k: subscriber(FilterSpec(key=k)) for k in ("a", "b")}
    # Filed under "c", for which no record comes: its predicate is never even asked.
    asked: list[int] = []

    def ask(r: Record) -> bool:
        asked.append(r.offset)
        return r.key == "c"

    by_key["c"] = LiveSubscriber(None, ask, 10)
    by_header = subscriber(FilterSpec(headers=(("tenant", "1"),)))
    prefix = subscriber(FilterSpec(key_prefix="b"))  # not indexable: offered everything
    everything = subscriber(None)
    # Filed under "a" but also asks for a value: the predicate still decides.
    a_odd = subscriber(FilterSpec(key="a", key_prefix="zzz"))
    hinted: list[tuple[LiveSubscriber, FilterSpec | None]] = [
        *((s, FilterSpec(key=k)) for k, s in by_key.items()),
        (by_header, FilterSpec(headers=(("tenant", "1"),))),
        (prefix, FilterSpec(key_prefix="b")),
        (everything, None),
        (a_odd, FilterSpec(key="a", key_prefix="zzz")),
    ]
    for sub, spec in hinted:
        topic.register(sub, index_hint(spec))
        topic.join(sub, {0: 0})
    await topic._dispatch(
        0,
        [
            record(0, "a"),
            record(1, "b", ("tenant", "1")),
            record(2, "a"),
            record(3, None, ("tenant", "1")),
            record(4, "bb"),
        ],
    )
    assert offsets(by_key["a"]) == [0, 2]
    assert offsets(by_key["b"]) == [1]
    assert queued(by_key["c"]) == [] and asked == []
    assert offsets(by_header) == [1, 3]
    assert offsets(prefix) == [1, 4]
    assert offsets(everything) == [0, 1, 2, 3, 4]
    assert queued(a_odd) == []
    # Every delivery carries the position after the whole batch, as without the index.
    assert {d[2] for s, _ in hinted for d in queued(s)} == {5}
    # A subscriber that left gave back its inbox, and is offered nothing.
    topic.leave(by_key["a"])
    await topic._dispatch(0, [record(5, "a")])
    assert offsets(by_key["a"]) == []
    assert offsets(everything)[-1] == 5


async def test_feed_keeps_accept_from_and_overflow_for_indexed_subscribers() -> None:
    topic = feed()
    sub = subscriber(FilterSpec(key="a"), max_batches=1)
    topic.register(sub, IndexHint("a"))
    # Its catch-up reader already delivered offsets below 2.
    topic.join(sub, {0: 2})
    await topic._dispatch(0, [record(0, "a"), record(1, "a"), record(2, "a"), record(3, "b")])
    assert offsets(sub) == [2]
    assert queued(sub)[0][2] == 4
    await topic._dispatch(0, [record(4, "a")])  # a second batch does not fit: overflow
    assert sub.overflowed and sub not in topic.subscribers
    await topic._dispatch(0, [record(5, "a")])
    assert offsets(sub) == [2]  # detached: nothing more until it re-joins
    topic.join(sub, {0: 6})  # caught up alone to 6, re-joins filed where it was
    await topic._dispatch(0, [record(5, "a"), record(6, "a"), record(7, "c")])
    assert offsets(sub) == [6]
    topic.leave(sub)  # gives back its inbox
    sub.close()
    await topic._dispatch(0, [record(8, "a")])
    assert offsets(sub) == []


def test_hints_of_typed_where_and_record_rules() -> None:
    assert key_equality(None) is None
    assert key_equality({"key": {"eq": "k7"}, "id": {"gt": 3}}) == "k7"
    assert key_equality({"key": {"eq": "k7", "startsWith": "k"}}) == "k7"
    # Only a top-level `eq` is a required equality; `in`, `or` and `not` are not.
    assert key_equality({"key": {"in": ["k7"]}}) is None
    assert key_equality({"or": [{"key": {"eq": "k7"}}]}) is None
    assert key_equality({"not": {"key": {"eq": "k7"}}}) is None
    header_rule = RecordRule(header="tenant", claim="tenant")
    assert record_rule_hint(header_rule, "acme") == IndexHint(headers=(("tenant", "acme"),))
    assert record_rule_hint(header_rule, None) is None
    assert record_rule_hint(RecordRule(value="owner.id", claim="sub"), "u1") is None
