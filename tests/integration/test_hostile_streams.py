"""One subscription never affects another (issue 14, point 4; docs/limits.md#one-subscription-
never-affects-another): whatever a subscriber's predicate, selection or encoding raises at
delivery ends that stream alone, with its own error (INTERNAL_SERVER_ERROR, masked) and
`extensions.cursor`, logged once; the feed and every other subscriber of the topic go on.

Each test runs one gateway in this process and injects the failure there (a compiled predicate
that raises, a message field that raises, an encoder that raises) for one subscriber of several
on one topic, on both subprotocols, with shared execution on (equal subscriptions form a group,
the failing one inside it) and off. The others are counted against what was written; the
failing one's cursor resumes with nothing lost and nothing repeated."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from kafka_graphql.core import selection
from kafka_graphql.core.filters.predicates import FilterSpec, compile_filter
from kafka_graphql.graphql.resolvers.messages import RecordFields
from kafka_graphql.graphql.view import VIEW
from kafka_graphql.kafka import Record
from tests.clients import LEGACY_WS, TRANSPORT_WS, GraphQLClient, Subscription
from tests.integration.conftest import RunningGateway, TopicFactory, gateway_settings, run_gateway
from tests.integration.helpers import produce_batch

PROTOCOLS = pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
SHARED = pytest.mark.parametrize("shared", [True, False], ids=["shared", "normal"])
WRITTEN = 30
POISON = 17  # the offset at which the failure is injected

PLAIN = "subscription($t: String!) { messages(topic: $t) { offset key value } }"
FILTERED = """
subscription($t: String!, $f: MessageFilter, $after: Cursor, $from: Long) {
  messages(topic: $t, filter: $f, after: $after, fromOffset: $from) { offset key cursor }
}"""
# Its own selection: the failing subscriber's alone (an alias and `timestamp`).
OWN = """
subscription($t: String!, $after: Cursor) {
  messages(topic: $t, after: $after) { offset at: timestamp poisoned: value cursor }
}"""
LOGGER = "kafka_graphql"


@contextlib.asynccontextmanager
async def gateway(bootstrap: str, shared: bool) -> AsyncIterator[RunningGateway]:
    settings = gateway_settings(bootstrap)
    server = settings.server.model_copy(update={"shared_subscriptions": shared})
    async with run_gateway(settings.model_copy(update={"server": server})) as running:
        yield running


async def live(running: RunningGateway, topic: str, count: int) -> None:
    hub = running.kafka.live
    await asyncio.wait_for(hub.wait_until(lambda: hub.subscriber_count(topic) == count), 30)


async def until_error(stream: Subscription) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The messages `stream` delivers up to the error that ends it (a result with errors, then
    `complete`), and that error: its own, masked, with the cursor to resume from."""
    delivered: list[dict[str, Any]] = []
    while True:
        event = await stream.next_event()
        assert event["type"] in ("next", "data"), event
        payload = event["payload"]
        if payload["data"] is not None:
            delivered.append(payload["data"]["messages"])
            continue
        (error,) = payload["errors"]
        assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR", error
        assert "internal" not in error["message"] and "Error" not in error["message"], error
        assert "extensions.cursor" in error["message"] and error["extensions"]["cursor"]
        assert (await stream.next_event())["type"] == "complete"
        result: dict[str, Any] = error
        return delivered, result


def failures_logged(caplog: pytest.LogCaptureFixture) -> int:
    return sum(
        1
        for r in caplog.records
        if r.levelno >= logging.ERROR and "failed on a message of its own" in r.getMessage()
    )


def records(topic_keys: int = 3) -> list[dict[str, Any]]:
    return [{"key": f"k{i % topic_keys}", "value": {"n": i}} for i in range(WRITTEN)]


def poison_predicates(monkeypatch: pytest.MonkeyPatch, victim: int) -> None:
    """The `victim`-th predicate compiled for a `keyPrefix: "k"` filter (counting from 0)
    raises at offset POISON (once); the others are the real ones."""
    original = compile_filter
    compiled: list[Callable[[Record], bool]] = []

    def compiled_filter(spec: FilterSpec | None) -> Callable[[Record], bool]:
        predicate = original(spec)
        if spec is None or spec.key_prefix != "k":
            return predicate
        index = len(compiled)
        armed = [index == victim]

        def check(record: Record) -> bool:
            if armed[0] and record.offset == POISON:
                armed[0] = False
                raise RuntimeError("an internal predicate failure")
            return predicate(record)

        compiled.append(check)
        return check

    monkeypatch.setattr(selection, "compile_filter", compiled_filter)


def offsets(messages: list[dict[str, Any]]) -> list[int]:
    return [int(m["offset"]) for m in messages]


@PROTOCOLS
@SHARED
async def test_a_predicate_that_raises_ends_its_stream_alone(
    bootstrap: str,
    http: aiohttp.ClientSession,
    new_topic: TopicFactory,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    protocol: str,
    shared: bool,
) -> None:
    caplog.set_level(logging.ERROR, logger=LOGGER)
    topic = await new_topic()
    filtered = {"t": topic, "f": {"keyPrefix": "k"}}
    poison_predicates(monkeypatch, victim=1)
    async with gateway(bootstrap, shared) as running, contextlib.AsyncExitStack() as stack:
        client = GraphQLClient(http, running.url)

        async def subscribe(query: str, variables: dict[str, Any]) -> Subscription:
            return await stack.enter_async_context(client.subscribe(query, variables, protocol))

        # Three equal subscriptions (one group when shared), the second one failing, beside a
        # plain one and one filtered on the key (filed in the feed's index).
        group = []
        for n in range(3):
            group.append(await subscribe(FILTERED, filtered))
            await live(running, topic, n + 1)
        plain = await subscribe(PLAIN, {"t": topic})
        keyed = await subscribe(FILTERED, {"t": topic, "f": {"key": "k1"}})
        await live(running, topic, 5)
        await produce_batch(client, topic, records())
        before, error = await until_error(group[1])
        # Everyone else: every record written, in order, nothing missing.
        for other in (group[0], group[2], plain):
            assert offsets(await other.take(WRITTEN)) == list(range(WRITTEN))
        k1 = [i for i in range(WRITTEN) if i % 3 == 1]
        assert offsets(await keyed.take(len(k1))) == k1
        # The failing one resumes from its cursor: the rest, no gap, no repeat.
        after = {**filtered, "after": error["extensions"]["cursor"]}
        async with client.subscribe(FILTERED, after, protocol) as resumed:
            rest = await resumed.take(WRITTEN - len(before))
        assert offsets(before) + offsets(rest) == list(range(WRITTEN))
        assert POISON not in offsets(before)
    assert failures_logged(caplog) == 1


@PROTOCOLS
async def test_a_predicate_that_raises_in_a_catch_up_ends_its_stream_at_that_record(
    bootstrap: str,
    http: aiohttp.ClientSession,
    new_topic: TopicFactory,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    protocol: str,
) -> None:
    caplog.set_level(logging.ERROR, logger=LOGGER)
    topic = await new_topic()
    replay = {"t": topic, "f": {"keyPrefix": "k"}, "from": "0"}
    poison_predicates(monkeypatch, victim=0)
    async with gateway(bootstrap, True) as running:
        client = GraphQLClient(http, running.url)
        await produce_batch(client, topic, records())
        # Both replay the topic with their own readers; the first one's predicate raises.
        async with (
            client.subscribe(FILTERED, replay, protocol) as victim,
            client.subscribe(FILTERED, replay, protocol) as other,
        ):
            before, error = await until_error(victim)
            assert offsets(await other.take(WRITTEN)) == list(range(WRITTEN))
        # A catch-up knows the very record: everything before it was delivered.
        assert offsets(before) == list(range(POISON))
        resume = {"t": topic, "f": {"keyPrefix": "k"}, "after": error["extensions"]["cursor"]}
        async with client.subscribe(FILTERED, resume, protocol) as resumed:
            assert offsets(await resumed.take(WRITTEN - POISON)) == list(range(POISON, WRITTEN))
    assert failures_logged(caplog) == 1


class PoisonedTimestamp:
    """`timestamp` raises at offset POISON while armed (a selection's own failure)."""

    def __init__(self) -> None:
        self.armed = True
        self.original = RecordFields.__dict__["timestamp"]

    def __enter__(self) -> PoisonedTimestamp:
        original = self.original

        def read(message: RecordFields) -> Any:
            if self.armed and message.record.offset == POISON:
                raise RuntimeError("an internal selection failure")
            return original.fget(message)

        RecordFields.timestamp = property(read, original.fset)  # type: ignore[assignment,method-assign]
        return self

    def __exit__(self, *_: object) -> None:
        RecordFields.timestamp = self.original  # type: ignore[method-assign]


class PoisonedEncoder:
    """The gateway's JSON encoder raises, while armed, for a result holding `poisoned` at
    offset POISON (on both paths: the shared groups' encoder and the view's)."""

    def __init__(self, running: RunningGateway) -> None:
        self.armed = True
        self.view = running.app[VIEW]

    def __enter__(self) -> PoisonedEncoder:
        view, original = self.view, self.view.encode_json

        def encode(data: Any) -> Any:
            if self.armed and _poisoned(data):
                raise ValueError("an internal encoding failure")
            return original(data)

        view.encode_json = encode  # type: ignore[method-assign]
        if view.shared_groups is not None:
            view.shared_groups._encode = encode
        self._original = original
        return self

    def __exit__(self, *_: object) -> None:
        del self.view.encode_json
        if self.view.shared_groups is not None:
            self.view.shared_groups._encode = self._original


def _poisoned(data: Any) -> bool:
    """`data`: a whole message (normal path) or a group's `{"data": ...}` (shared path)."""
    payload = data.get("payload", data) if isinstance(data, dict) else None
    result = payload.get("data") if isinstance(payload, dict) else None
    fields = result.get("messages") if isinstance(result, dict) else None
    return isinstance(fields, dict) and "poisoned" in fields and fields.get("offset") == POISON


@PROTOCOLS
@SHARED
@pytest.mark.parametrize("failure", ["selection", "encoding"])
async def test_a_selection_or_encoding_that_raises_ends_its_stream_alone(
    bootstrap: str,
    http: aiohttp.ClientSession,
    new_topic: TopicFactory,
    caplog: pytest.LogCaptureFixture,
    protocol: str,
    shared: bool,
    failure: str,
) -> None:
    caplog.set_level(logging.ERROR, logger=LOGGER)
    topic = await new_topic()
    async with gateway(bootstrap, shared) as running:
        client = GraphQLClient(http, running.url)
        poison: Any = PoisonedTimestamp() if failure == "selection" else PoisonedEncoder(running)
        with poison:
            async with (
                client.subscribe(OWN, {"t": topic}, protocol) as victim,
                client.subscribe(PLAIN, {"t": topic}, protocol) as first,
                client.subscribe(PLAIN, {"t": topic}, protocol) as second,
            ):
                await live(running, topic, 3)
                await produce_batch(client, topic, records())
                before, error = await until_error(victim)
                assert offsets(before) == list(range(POISON))
                for other in (first, second):
                    assert offsets(await other.take(WRITTEN)) == list(range(WRITTEN))
                poison.armed = False
                async with client.subscribe(
                    OWN, {"t": topic, "after": error["extensions"]["cursor"]}, protocol
                ) as resumed:
                    rest = await resumed.take(WRITTEN - POISON)
                assert offsets(before) + offsets(rest) == list(range(WRITTEN))
                assert all(m["poisoned"] == {"n": m["offset"]} for m in before + rest)
    # Once for the stream; on the shared path, once more for its group's encoder.
    assert failures_logged(caplog) == 1
