"""Fuzzing the running gateway (issue 14, point 13): operations generated from the schema it
serves (generic and typed topics), with hostile literals and variables, over HTTP and both
WebSocket subprotocols, and records of any bytes written straight to Kafka, which the fuzzed
operations and other callers' subscriptions then read. Once without `[auth]`, once with it and
an ordinary token.

Every answer: no 5xx, no INTERNAL_SERVER_ERROR, every error with `extensions.code`; after every
example: nothing logged at ERROR and no traceback, the gateway's loop never held over 100 ms;
over a run: memory flat. `make soak` runs many more examples (FUZZ_SCALE, tests/integration/
fuzz.py). The gateway runs in a process of its own (tests/integration/fuzz_gateway.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import graphql
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from hypothesis import example, given, seed
from hypothesis import strategies as st

from tests.integration.fuzz import (
    FUZZ_SCALE,
    FUZZ_SEED,
    MEMORY_TOLERANCE_BYTES,
    Fuzzer,
    failure,
    fuzz_settings,
)
from tests.integration.fuzz_documents import Documents, Operation
from tests.integration.fuzz_pinned import (
    PINNED_OPERATIONS,
    PINNED_RECORDS,
    PINNED_SUBSCRIPTIONS,
    on_topics,
    pinned,
)
from tests.integration.fuzz_process import ClientLoop, GatewayProcess
from tests.integration.fuzz_setup import (
    BYSTANDER_SCOPES,
    FUZZER_SCOPES,
    READER_SCOPES,
    FuzzTopics,
    create_topics,
    gateway_settings,
    selection,
    token,
    valid_values,
    write_public_key,
)
from tests.integration.fuzz_setup import (
    seed as seed_topics,
)
from tests.integration.fuzz_streams import (
    LEGACY_WS,
    TRANSPORT_WS,
    Bystander,
    await_joined,
    converse,
    converse_raw,
    protocol_messages,
    write_records,
)
from tests.integration.fuzz_values import RawRecord, records
from tests.integration.helpers import poll_until
from tests.integration.typed import SCHEMAS

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")
# A test's examples at FUZZ_SCALE 1 (make test: the module's fuzzing within ~60 s), and the
# per-test timeout, which grows with the scale.
OPERATIONS, SUBSCRIPTIONS, MESSAGES, RECORDS = 50, 10, 10, 20
TIMEOUT_S = 240 * max(1, FUZZ_SCALE)


pytestmark = pytest.mark.timeout(TIMEOUT_S)


def seeded(test: F) -> F:
    return seed(int(FUZZ_SEED))(test) if FUZZ_SEED is not None else test


@pytest.fixture(scope="module")
def client_loop() -> Iterator[ClientLoop]:
    loop = ClientLoop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def topics(client_loop: ClientLoop, bootstrap: str) -> Iterator[FuzzTopics]:
    """The run's topics, deleted after it (each run writes thousands of records)."""
    names = FuzzTopics.new()

    async def admin(action: Callable[[AIOKafkaAdminClient], Awaitable[object]]) -> None:
        client = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await client.start()
        try:
            await action(client)
        finally:
            await client.close()

    client_loop.run(admin(lambda client: create_topics(client, names)))
    yield names
    client_loop.run(admin(lambda client: client.delete_topics(list(names.partitions))))


@pytest.fixture(scope="module")
def producer(
    client_loop: ClientLoop, bootstrap: str, topics: FuzzTopics
) -> Iterator[AIOKafkaProducer]:
    async def start() -> AIOKafkaProducer:
        kafka = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
        await kafka.start()
        await seed_topics(kafka, topics)
        return kafka

    kafka = client_loop.run(start())
    yield kafka
    client_loop.run(kafka.stop())


@dataclass
class Target:
    """A gateway under fuzzing: the fuzzing caller, the schema it serves, what it generates."""

    fuzzer: Fuzzer
    schema: graphql.GraphQLSchema
    documents: Documents


@pytest.fixture(scope="module", params=["open", "auth"])
def target(
    request: pytest.FixtureRequest,
    client_loop: ClientLoop,
    bootstrap: str,
    topics: FuzzTopics,
    producer: AIOKafkaProducer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Target]:
    workdir = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    key = write_public_key(workdir) if request.param == "auth" else None
    gateway = GatewayProcess(gateway_settings(bootstrap, topics, key), workdir, SCHEMAS)
    gateway.start()
    fuzzer = Fuzzer(gateway, client_loop, token(FUZZER_SCOPES, "mallory") if key else None)
    try:
        schema = served_schema(fuzzer)
        documents = Documents(schema, topics.names(), cursors(fuzzer, topics))
        fuzzer.check_gateway()  # nothing logged; a first introspection may take its time
        yield Target(fuzzer, schema, documents)
    finally:
        fuzzer.close()
        gateway.stop()


def served_schema(fuzzer: Fuzzer) -> graphql.GraphQLSchema:
    data = fuzzer.run(fuzzer.data(graphql.get_introspection_query()))
    return graphql.build_client_schema(data)


def cursors(fuzzer: Fuzzer, topics: FuzzTopics) -> list[str]:
    """Cursors the gateway hands out (what the fuzzer alters): the end of each topic."""
    made = []
    for name in (topics.a, topics.b, topics.tenants):
        document = "query($t: String!) { messages(topic: $t, fromOffset: 1000000) { nextCursor } }"
        data = fuzzer.run(fuzzer.data(document, {"t": name}))
        made.append(data["messages"]["nextCursor"])
    data = fuzzer.run(fuzzer.data("{ orders(fromOffset: 1000000) { pageInfo { endCursor } } }"))
    made.append(data["orders"]["pageInfo"]["endCursor"])
    return made


class MemoryWatch:
    """The gateway's RSS after the first quarter of a run's examples, and at its end."""

    def __init__(self, fuzzer: Fuzzer, examples: int) -> None:
        self.fuzzer = fuzzer
        self.warm = max(1, examples * FUZZ_SCALE // 4)
        self.count = 0
        self.baseline: int = fuzzer.stats(collect=True)["rss_bytes"]

    def tick(self) -> None:
        self.count += 1
        if self.count == self.warm:
            self.baseline = self.fuzzer.stats(collect=True)["rss_bytes"]

    def check(self) -> None:
        end: int = self.fuzzer.stats(collect=True)["rss_bytes"]
        growth = end - self.baseline
        assert growth <= MEMORY_TOLERANCE_BYTES, f"the gateway's RSS grew {growth >> 20} MiB"


def test_fuzzed_operations_never_fail_the_gateway(target: Target, topics: FuzzTopics) -> None:
    fuzzer = target.fuzzer
    memory = MemoryWatch(fuzzer, OPERATIONS)

    @fuzz_settings(OPERATIONS)
    @given(operation=target.documents.operations())
    @seeded
    def attempt(operation: Operation) -> None:
        memory.tick()
        fuzzer.send(operation)

    for operation in pinned(PINNED_OPERATIONS):
        attempt = example(operation=on_topics(topics, operation))(attempt)
    attempt()
    memory.check()


def test_fuzzed_subscriptions_never_fail_the_gateway(
    target: Target, topics: FuzzTopics, producer: AIOKafkaProducer
) -> None:
    fuzzer = target.fuzzer
    memory = MemoryWatch(fuzzer, SUBSCRIPTIONS)
    values = valid_values()["orders"]
    writable = [topics.a, topics.b, topics.orders, topics.tenants]

    @fuzz_settings(SUBSCRIPTIONS)
    @given(
        operation=target.documents.subscriptions(),
        protocol=st.sampled_from([TRANSPORT_WS, LEGACY_WS]),
        topic=st.integers(0, len(writable) - 1),
        written=st.lists(records(values), max_size=2),
    )
    @seeded
    def attempt(operation: Operation, protocol: str, topic: int, written: list[RawRecord]) -> None:
        memory.tick()

        async def feed() -> None:
            await write_records(producer, writable[topic], 0, written)

        def subscribe() -> None:
            url, caller = fuzzer.gateway.url, fuzzer.token
            fuzzer.call(converse(fuzzer.session, url, caller, operation, protocol, feed))
            # The server has let go of the socket before its logs are read.
            if not fuzzer.call(_sockets_closed(fuzzer)):
                raise failure("socket left open", "the server kept the socket open 10 s")

        fuzzer.checked(subscribe)

    for operation, protocol, topic, written in pinned(PINNED_SUBSCRIPTIONS):
        attempt = example(on_topics(topics, operation), protocol, topic, written)(attempt)
    attempt()
    memory.check()


def test_fuzzed_websocket_messages_never_fail_the_gateway(target: Target) -> None:
    """Whatever a client sends after `connection_init`, in either subprotocol."""
    fuzzer = target.fuzzer
    memory = MemoryWatch(fuzzer, MESSAGES)

    @fuzz_settings(MESSAGES)
    @given(
        protocol=st.sampled_from([TRANSPORT_WS, LEGACY_WS]),
        messages=protocol_messages(target.documents.subscriptions()),
    )
    @seeded
    def attempt(protocol: str, messages: list[str]) -> None:
        memory.tick()

        def send() -> None:
            url, caller = fuzzer.gateway.url, fuzzer.token
            fuzzer.call(converse_raw(fuzzer.session, url, caller, protocol, messages))
            if not fuzzer.call(_sockets_closed(fuzzer)):
                raise failure("socket left open", "the server kept the socket open 10 s")

        fuzzer.checked(send)

    attempt()
    memory.check()


async def _sockets_closed(fuzzer: Fuzzer) -> bool:
    async def closed() -> bool:
        async with fuzzer.session.get(f"{fuzzer.gateway.base_url}/_fuzz/stats") as response:
            return bool((await response.json())["websockets"] == 0)

    try:
        await poll_until(closed, timeout_s=10, interval_s=0.02)
    except TimeoutError:
        return False
    return True


def test_every_record_kafka_holds_is_readable(
    target: Target, topics: FuzzTopics, producer: AIOKafkaProducer
) -> None:
    """Records of any bytes, written straight to Kafka: a page lists each one, a typed page
    reads it, and other callers' live subscriptions receive it; nothing fails."""
    fuzzer = target.fuzzer
    values = valid_values()
    targets = [
        (topics.a, "", values["orders"]),
        (topics.b, "", []),
        (topics.orders, "orders", values["orders"]),
        (topics.payments, "payments", values["payments"]),
    ]
    reader = token(READER_SCOPES, "reader") if fuzzer.token else None
    bystander_token = token(BYSTANDER_SCOPES, "bob") if fuzzer.token else None
    schema = target.schema
    reading = fuzzer.with_token(reader)
    page = (
        "query($t: String!, $p: [Int!], $o: Long, $n: Int) { messages(topic: $t, partitions: $p, "
        f"fromOffset: $o, limit: $n) {{ messages {{ {selection(schema, 'Message', 2)} }} }} }}"
    )
    typed_pages = {
        typed: (
            "query($p: [Int!], $o: Long, $n: Int) { "
            f"{typed}(partitions: $p, fromOffset: $o, first: $n) {{ edges {{ cursor node {{ "
            f"{selection(schema, _node_type(schema, typed), 6)} }} }} }} }}"
        )
        for _, typed, _ in targets
        if typed
    }
    bystanders: dict[str, list[Bystander]] = {}
    for name, typed, _ in targets:
        document = f'subscription {{ messages(topic: "{name}") {{ partition offset }} }}'
        watching = [Bystander(name, document, "messages")]
        if typed:
            document = f"subscription {{ {typed} {{ partition offset }} }}"
            watching.append(Bystander(name, document, typed))
        bystanders[name] = watching
    for watching in bystanders.values():
        for bystander in watching:
            fuzzer.run(bystander.start(fuzzer.session, fuzzer.gateway.url, bystander_token))
    for name, watching in bystanders.items():
        fuzzer.run(await_joined(producer, name, watching))
    memory = MemoryWatch(fuzzer, RECORDS)

    @fuzz_settings(RECORDS)
    @given(
        target=st.integers(0, len(targets) - 1),
        written=st.lists(records(values["orders"] + values["payments"]), min_size=1, max_size=3),
        partition=st.integers(0, 2),
    )
    @seeded
    def attempt(target: int, written: list[RawRecord], partition: int) -> None:
        memory.tick()
        name, typed, _ = targets[target]
        partition = partition % topics.partitions[name]
        offsets = fuzzer.run(write_records(producer, name, partition, written))
        first = min(offset for _, offset in offsets)
        variables = {"t": name, "p": [partition], "o": first, "n": len(written)}

        def read() -> None:
            answer = reading.answer(Operation(page, variables))
            listed = answer.json()["data"]["messages"]["messages"]
            found = {(m["partition"], m["offset"]) for m in listed}
            assert offsets <= found, f"the page lists {sorted(found)}, not all of {sorted(offsets)}"
            if typed:
                reading.answer(Operation(typed_pages[typed], variables))
            for bystander in bystanders[name]:
                fuzzer.run(bystander.received(offsets))

        fuzzer.checked(read)

    for index, written, partition in pinned(PINNED_RECORDS):
        attempt = example(index, written, partition)(attempt)
    try:
        attempt()
        memory.check()
    finally:
        for watching in bystanders.values():
            for bystander in watching:
                fuzzer.run(bystander.stop())


def _node_type(schema: graphql.GraphQLSchema, root_field: str) -> str:
    """The node type of a typed topic's connection (`orders` -> OrderMessage)."""
    assert schema.query_type is not None
    connection = graphql.get_named_type(schema.query_type.fields[root_field].type)
    assert isinstance(connection, graphql.GraphQLObjectType)
    edge = graphql.get_named_type(connection.fields["edges"].type)
    assert isinstance(edge, graphql.GraphQLObjectType)
    node: str = graphql.get_named_type(edge.fields["node"].type).name
    return node
