"""Every private part of a third-party package the gateway relies on, fenced in one place: an
upgrade of aiokafka, aiohttp, Strawberry or graphql-core that renames or reshapes one fails here,
loudly, rather than silently losing what the gateway built on it. Each entry names the module of
ours that relies on it and what breaks if it goes (pyproject.toml pins each package to the minor
version this ran on). The last tests keep the list whole: a private attribute read on anything
but `self`, or a subclass of one of these packages' classes, fails until it is fenced here.
"""

from __future__ import annotations

import asyncio
import inspect
import time
import types
from datetime import timedelta
from typing import Any

import aiokafka.consumer.fetcher
import pytest
import strawberry
from aiohttp import web
from aiohttp._websocket.writer import WS_CONTROL_FRAME_OPCODE, WebSocketWriter
from aiohttp.base_protocol import BaseProtocol
from aiohttp.client_ws import ClientWebSocketResponse
from aiohttp.test_utils import make_mocked_request
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.client import AIOKafkaClient
from aiokafka.conn import AIOKafkaConnection, collect_hosts, create_conn
from aiokafka.errors import ProducerClosed
from aiokafka.producer import message_accumulator
from aiokafka.producer.message_accumulator import MessageAccumulator
from aiokafka.producer.sender import Sender
from aiokafka.protocol.metadata import MetadataRequest
from aiokafka.record.default_records import DefaultRecordBase, _DefaultRecordBatchBuilderPy
from aiokafka.record.memory_records import MemoryRecords
from graphql import GraphQLSchema, TypeInfo, ValidationContext, parse
from strawberry.aiohttp.views import AiohttpWebSocketAdapter, GraphQLView
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.types import ExecutionContext
from strawberry.types.field import StrawberryField

import kafka_graphql
from kafka_graphql.graphql.sliced_execution import SlicedExecutor
from kafka_graphql.graphql.validation_caches import _NODE_KEYED
from kafka_graphql.http.ws_compression import _GatewayWebSocketResponse, _SmallFramesPlain
from kafka_graphql.http.ws_heartbeat import HeartbeatWebSocketResponse
from kafka_graphql.kafka import record_batches
from kafka_graphql.kafka.producer_generation import NEVER, new_client
from kafka_graphql.settings import KafkaSettings
from tests import third_party
from tests.third_party import names

NOWHERE = "127.0.0.1:9"  # clients are made, never started


async def test_aiokafka_producer_internals(monkeypatch: pytest.MonkeyPatch) -> None:
    plain = AIOKafkaProducer(bootstrap_servers=NOWHERE, request_timeout_ms=1234)
    ours = new_client(KafkaSettings(bootstrap_servers=NOWHERE))
    try:
        # kafka/producer_generation.py `new_client`: `_batch_ttl = NEVER`, so that an idempotent
        # batch never expires. Renamed, our assignment adds an attribute nothing reads and
        # batches expire after request_timeout_ms again: the producer wedge (aiokafka #1017).
        assert plain._message_accumulator._batch_ttl == 1.234
        assert ours._message_accumulator._batch_ttl == NEVER
        accumulators = [client._message_accumulator for client in (plain, ours)]
        tp = TopicPartition("t", 0)
        batches = [a._append_batch(a.create_builder(), tp) for a in accumulators]
        later = types.SimpleNamespace(monotonic=lambda: time.monotonic() + 1e9)
        monkeypatch.setattr(message_accumulator, "time", later)
        assert [batch.expired() for batch in batches] == [True, False]
        # producer_generation.py `Generation.sender_stopped`: the watchdog replaces a producer
        # whose sender task died; without it, an AttributeError every WATCH_INTERVAL_S.
        assert isinstance(plain._sender, Sender)
        assert isinstance(inspect.getattr_static(Sender, "sender_task"), property)
        assert plain._sender.sender_task is None  # not started
        # producer_generation.py `shut`: a wedged producer is closed without waiting for it.
        assert inspect.iscoroutinefunction(Sender.close)
        inspect.signature(MessageAccumulator.fail_all).bind(None, ProducerClosed())
        # producer.py `_know_partitions`: metadata refreshed for a partition the topic grew.
        assert isinstance(plain.client, AIOKafkaClient)
        inspect.signature(AIOKafkaClient.force_metadata_update).bind(None)  # -> an awaitable
        # tests/integration/test_hostile_records.py: a batch with any bytes as header names.
        assert "_builder" in vars(plain.create_batch())
    finally:
        await plain.stop()
        await ours.stop()


async def test_aiokafka_consumer_and_connection_internals() -> None:
    # kafka/consumers.py `stop_consumer`: a stop() cut short by its own fetch task's
    # cancellation still closes the consumer's connections; else they leak.
    consumer = AIOKafkaConsumer(bootstrap_servers=NOWHERE)
    try:
        assert isinstance(consumer._client, AIOKafkaClient)
    finally:
        await consumer.stop()
    # kafka/security.py `check_connection`: one connection the way every client makes them.
    taken = set(inspect.signature(create_conn).parameters)
    assert taken >= {"client_id", "request_timeout_ms", "security_protocol", "ssl_context"}
    assert taken >= {"sasl_mechanism", "sasl_plain_username", "sasl_plain_password"}
    assert collect_hosts("a:1,b:2", randomize=False)[0][:2] == ("a", 1)
    # tests/integration/test_hostile_kafka.py counts metadata requests by their topics.
    inspect.signature(AIOKafkaConnection.send).bind(None, None, expect_response=True)
    assert MetadataRequest(["t"])._topics == ["t"]


def test_aiokafka_fetcher_reads_the_patched_memory_records() -> None:
    # kafka/record_batches.py `install`: the fetcher's module global, replaced so that header
    # names that are not UTF-8 do not stop a partition's readers for good. If the fetcher stops
    # reading that global, the patch does nothing and one such record stops them again.
    assert hasattr(aiokafka.consumer.fetcher, "MemoryRecords")
    assert "MemoryRecords(" in inspect.getsource(aiokafka.consumer.fetcher)
    public = {name for name in dir(MemoryRecords) if not name.startswith("_")}
    assert public <= set(dir(record_batches.LenientMemoryRecords))
    # read_leniently skips a v2 batch's header by its size.
    assert DefaultRecordBase.HEADER_STRUCT.size == record_batches._V2_HEADER_SIZE
    # tests/unit/test_record_values.py and test_hostile_records.py write batches with it.
    _DefaultRecordBatchBuilderPy(
        2, 0, is_transactional=0, producer_id=-1, producer_epoch=-1, base_sequence=0, batch_size=1
    )


async def test_aiohttp_writer_internals() -> None:
    # http/ws_compression.py `_SmallFramesPlain.send_frame`: frames under
    # `server.websocket_compression_min_bytes` are written uncompressed, as aiohttp's writer
    # does, with its send lock, frame writer and flow control.
    protocol = BaseProtocol(asyncio.get_running_loop())
    writer = WebSocketWriter(protocol, asyncio.Transport(), compress=15, notakeover=False)
    assert WS_CONTROL_FRAME_OPCODE == 8
    assert isinstance(writer._closing, bool) and isinstance(writer._send_lock, asyncio.Lock)
    assert isinstance(writer._output_size, int) and isinstance(writer._limit, int)
    inspect.signature(writer._write_websocket_frame).bind(b"", 1, 0)
    inspect.signature(writer.send_frame).bind(b"", 1, None)
    assert protocol._paused is False
    assert inspect.iscoroutinefunction(protocol._drain_helper)
    # http/ws_compression.py `_GatewayWebSocketResponse._pre_start`: the writer aiohttp made for the
    # handshake is swapped for ours, with its settings.
    headers = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13"}
    headers["Sec-WebSocket-Key"] = "dGhlIHNhbXBsZSBub25jZQ=="
    headers["Sec-WebSocket-Extensions"] = "permessage-deflate"
    response = _GatewayWebSocketResponse(min_compressed_bytes=100)
    _, ours = response._pre_start(make_mocked_request("GET", "/", headers=headers))
    _, theirs = web.WebSocketResponse()._pre_start(make_mocked_request("GET", "/", headers=headers))
    assert isinstance(ours, _SmallFramesPlain) and type(theirs) is WebSocketWriter
    assert (ours.compress, ours.min_bytes, ours._limit) == (theirs.compress, 100, theirs._limit)
    # tests/integration/test_hostile_memory*.py pause a client's reading through its connection.
    assert "_conn" in ClientWebSocketResponse.__init__.__code__.co_names


async def test_aiohttp_heartbeat_internals() -> None:
    # http/ws_heartbeat.py: the pong must come back within a whole period (aiohttp waits half of
    # one), and a socket whose pong does not is closed with 1011 and its transport aborted.
    # Renamed, the wait is half a period again and a dead peer's socket waits for its buffer.
    plain = web.WebSocketResponse(heartbeat=4)
    ours = HeartbeatWebSocketResponse(heartbeat=4)
    assert (plain._pong_heartbeat, ours._pong_heartbeat) == (2, 4)
    assert callable(plain._pong_not_received) and plain._req is None
    assert plain._close_code is None
    ours._pong_not_received()  # not prepared: nothing to close, and no error


@strawberry.type
class _Query:
    @strawberry.field
    def seen(self, info: strawberry.Info) -> int:
        _SEEN.append(info)
        return 1


_SEEN: list[strawberry.Info] = []


def test_strawberry_internals() -> None:
    schema = strawberry.Schema(query=_Query)
    # gate.py, auth/field_check.py, limits/directive.py, schema/build.py, schema/directives.py:
    # graphql-core's schema that Strawberry built (validation, cost model, @auth).
    assert isinstance(schema._schema, GraphQLSchema)
    # resolvers/rate_limit.py, shared/relay.py: the operation and its fragments, which
    # Strawberry's Info does not give (the cost of `rateLimit`; the shared path's document).
    _SEEN.clear()
    result = schema.execute_sync("query Q { ...F } fragment F on Query { seen }")
    assert result.errors is None
    raw = _SEEN[0]._raw_info
    assert raw.schema is schema._schema
    assert raw.operation.name is not None and raw.operation.name.value == "Q"
    assert list(raw.fragments) == ["F"]
    # schema/directives.py: @auth goes on the StrawberryField behind a built field.
    field = schema._schema.query_type.fields["seen"]  # type: ignore[union-attr]
    backref = field.extensions[GraphQLCoreConverter.DEFINITION_BACKREF]
    assert isinstance(backref, StrawberryField) and isinstance(backref.directives, list)
    # gate.py `on_parse`: a document of several operations needs operationName (the spec's
    # GetOperation); only this field tells a given name from Strawberry's default. Gone, the gate
    # would refuse such a document even with a name.
    given = ExecutionContext("{ seen }", schema, (), provided_operation_name="Q")
    default = ExecutionContext("{ seen }", schema, ())
    assert (given._provided_operation_name, default._provided_operation_name) == ("Q", None)


def test_strawberry_websocket_handler_state() -> None:
    # graphql/ws/ reads and sets the handlers' state: operations in flight, whether
    # connection_init came and was acknowledged, subscriptions and their tasks (legacy).
    wait = timedelta(seconds=1)
    transport = BaseGraphQLTransportWSHandler[Any, Any](None, None, None, None, None, wait)  # type: ignore[arg-type]
    legacy = BaseGraphQLWSHandler[Any, Any](None, None, None, None, None, False, None)  # type: ignore[arg-type]
    assert (transport.operations, legacy.subscriptions, legacy.tasks) == ({}, {}, {})
    flags = (transport.connection_init_received, transport.connection_acknowledged)
    assert (*flags, legacy.connection_acknowledged) == (False, False, False)
    assert legacy.keep_alive_task is None
    operation = Operation[Any, Any](transport, "1", "{ a }", None, None)
    assert (operation.id, operation.query, operation.task) == ("1", "{ a }", None)
    assert inspect.iscoroutinefunction(BaseGraphQLWSHandler.cleanup)
    assert isinstance(GraphQLView.connection_init_wait_timeout, timedelta)
    # graphql/ws/sending.py writes through the adapter's socket, and finds its transport.
    adapter = AiohttpWebSocketAdapter(None, None, None)  # type: ignore[arg-type]
    assert vars(adapter).keys() >= {"view", "request", "ws"}


def test_graphql_core_internals() -> None:
    # graphql/validation_caches.py `IdentityCaches`: the validation context's per-node caches,
    # keyed on identity instead of a hash of the node's whole subtree. Renamed, validation is
    # correct but a large document's validation slower again (limits.md#validation-is-linear).
    schema = strawberry.Schema(query=_Query)._schema
    context = ValidationContext(schema, parse("{ seen }"), TypeInfo(schema), lambda _: None)
    for name in _NODE_KEYED:
        assert getattr(context, name) == {} and type(getattr(context, name)) is dict
    # graphql/sliced_execution.py: a long list completed item by item, with graphql-core's own
    # steps, called with the arguments graphql-core passes them.
    completing = "item_type field_details_list info item_path position_context"
    calls = {
        "get_stream_usage": "field_details_list path",
        "complete_list_item_value": f"item complete_results {completing}",
        "complete_awaitable_list_item_value": f"item {completing}",
        "settle_in_background": "awaitables",
        "is_awaitable": "value",
    }
    for name, parameters in calls.items():
        signature = inspect.signature(getattr(SlicedExecutor, name))
        assert [p for p in signature.parameters if p != "self"] == parameters.split(" "), name


# -- keeping the list whole -------------------------------------------------------------------

FENCED = ("aiokafka", "aiohttp", "strawberry", "graphql", "cross_web")
# Every private attribute kafka_graphql/ reads on something that is not itself, by its entry
# (`_websocket`: the module aiohttp._websocket; `_provided_operation_name`: read with getattr).
PRIVATE_READS = {
    test_aiokafka_producer_internals: names("_batch_ttl _message_accumulator _sender"),
    test_aiokafka_consumer_and_connection_internals: names("_client"),
    test_aiohttp_writer_internals: names("_websocket _paused _drain_helper _limit _pre_start"),
    test_strawberry_internals: names("_schema _raw_info _provided_operation_name"),
    test_aiohttp_heartbeat_internals: names("_pong_not_received"),
    "os._exit: public, documented": names("_exit"),
}
# What each of our subclasses of those packages' classes overrides on purpose: everything else
# it defines must be new to its base (or it would replace a private part of it unawares).
OVERRIDES = {
    "GatewayView": names(
        "websocket_adapter_class graphql_transport_ws_handler_class graphql_ws_handler_class "
        "parse_http_body execute_operation get_context reject_websocket decode_json encode_json "
        "is_websocket_request graphql_ide_html on_ws_connect create_websocket_response "
        "should_render_graphql_ide _stream_result create_streaming_response"
    ),
    "GatewayWebSocketAdapter": names("send_json close"),
    "TransportWSHandler": names(
        "handle_message handle_subscribe run_operation send_message handle_task_exception "
        "cleanup_operation shutdown"
    ),
    "LegacyWSHandler": names("handle handle_async_results send_message handle_message"),
    "OperationGate": names(
        "on_parse on_validate on_execute on_operation get_results on_stream_result"
    ),
    "OperationNameRequired": names("as_http_error_reason"),
    "OperationTelemetry": names("on_operation on_stream_result"),
    "SlicedExecutor": names("complete_iterable_value"),
    "GatewayExecutionContext": names("execute_operation"),
    "IdentityCaches": names(""),
    # `_output_size`: the writer's flow control, kept as aiohttp's send_frame keeps it.
    "_SmallFramesPlain": names("send_frame _output_size"),
    "_GatewayWebSocketResponse": names("_pre_start"),
    # `_pong_heartbeat`: the pong's wait; `_close_code`: what a socket without a pong reports.
    "HeartbeatWebSocketResponse": names("_pong_not_received _pong_heartbeat _close_code"),
    "GatewaySchema": names("process_errors"),
    # kafka/group_consumer.py: aiokafka's listener interface (its two hooks, made to be
    # overridden), so that a member's partitions given or taken continue from the committed
    # offsets in its gap check (kafka/group_gaps.py).
    "_Rebalanced": names("on_partitions_revoked on_partitions_assigned"),
}


def test_every_private_read_is_fenced() -> None:
    found, fenced = third_party.private_reads(kafka_graphql), set().union(*PRIVATE_READS.values())
    unfenced = {name: where for name, where in found.items() if name not in fenced}
    assert not unfenced, "fence these here (what relies on them, what breaks), then list them"
    assert found.keys() == fenced, "no longer used: take them off the list"


def test_our_subclasses_override_only_on_purpose() -> None:
    ours = third_party.subclasses(kafka_graphql, of=FENCED)
    assert ours.keys() == OVERRIDES.keys(), "list what each new subclass overrides"
    for name, cls in ours.items():
        base = next(k for k in cls.__mro__ if third_party.top_package(k) != "kafka_graphql")
        own, used = third_party.defined_by(cls), third_party.names_used_by(base, FENCED)
        # Nothing replaced unawares; and an override its base no longer has is never called.
        assert own & used == OVERRIDES[name], name
        for hook in OVERRIDES[name]:
            theirs, mine = inspect.getattr_static(base, hook, None), vars(cls).get(hook)
            if inspect.isfunction(theirs) and inspect.isfunction(mine):
                # Strawberry calls its hooks with keywords: every name must still be taken.
                expected = set(inspect.signature(theirs).parameters)
                assert set(inspect.signature(mine).parameters) == expected, f"{name}.{hook}"
        # What our code reads of the base on `self` (its state, its private parts) is there.
        inherited = third_party.inherited_reads(cls)
        assert inherited <= used, f"{name}: {inherited - used}"
