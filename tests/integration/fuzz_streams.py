"""WebSocket conversations of the fuzz tests: one fuzzed subscription at a time, and the
bystanders (another caller's plain subscriptions, open for a whole run, that must receive every
record written while the fuzzer does its worst). Also the records written straight to Kafka."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiokafka import AIOKafkaProducer
from hypothesis import strategies as st

from tests.integration.fuzz import check_errors
from tests.integration.fuzz_documents import Operation
from tests.integration.fuzz_values import TEXT, RawRecord, encode_json, json_values

TRANSPORT_WS, LEGACY_WS = "graphql-transport-ws", "graphql-ws"
# Close codes that say the server failed (RFC 6455 1011; graphql-ws' 4500), or that it dropped
# the socket without a close frame (1006).
SERVER_FAILURE_CLOSES = (1006, 1011, 4500)
# Events read from one fuzzed subscription, and how long it may stay quiet before the test moves
# on (a filter may match nothing: there is no event to await then).
MAX_EVENTS = 5
QUIET_S = 0.3
# Times the records are written while a subscription stays quiet.
FEEDS = 2


def init_payload(token: str | None) -> dict[str, Any]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def start_message(operation: Operation, protocol: str, operation_id: str = "1") -> str:
    kind = "subscribe" if protocol == TRANSPORT_WS else "start"
    return encode_json({"id": operation_id, "type": kind, "payload": operation.payload()})


@dataclass
class Conversation:
    """What one subscription's socket received."""

    events: list[dict[str, Any]] = field(default_factory=list)
    close_code: int | None = None
    closed_by_server: bool = False


async def converse(
    session: aiohttp.ClientSession,
    url: str,
    token: str | None,
    operation: Operation,
    protocol: str,
    feed: Callable[[], Awaitable[None]],
) -> Conversation:
    """Opens a socket, subscribes, lets `feed` write records, and reads up to MAX_EVENTS events
    (or until the server ends the operation, closes the socket, or stays quiet); checks every
    event and the close code."""
    conversation = Conversation()
    async with session.ws_connect(url, protocols=[protocol], autoping=True) as ws:
        await ws.send_str(json.dumps({"type": "connection_init", "payload": init_payload(token)}))
        if not await _acknowledged(ws, conversation):
            return conversation
        await ws.send_str(start_message(operation, protocol))
        await feed()
        feeds = 1
        while len(conversation.events) < MAX_EVENTS:
            try:
                message = await ws.receive(timeout=QUIET_S)
            except TimeoutError:
                if feeds == FEEDS:
                    break
                # A live stream may have joined its feed after the records were written.
                await feed()
                feeds += 1
                continue
            body = _event(ws, message, conversation)
            if body is None:
                break
            if body["type"] in ("ping", "ka", "pong"):
                if body["type"] == "ping":
                    await ws.send_str('{"type":"pong"}')
                continue
            conversation.events.append(body)
            check_event(body)
            if body["type"] in ("complete", "error", "connection_error"):
                break
    if not conversation.closed_by_server:
        conversation.close_code = ws.close_code
    return conversation


async def _acknowledged(ws: aiohttp.ClientWebSocketResponse, conversation: Conversation) -> bool:
    while True:
        body = _event(ws, await ws.receive(timeout=30), conversation)
        if body is None:
            return False
        if body["type"] == "connection_ack":
            return True
        conversation.events.append(body)
        check_event(body)


def _event(
    ws: aiohttp.ClientWebSocketResponse, message: aiohttp.WSMessage, conversation: Conversation
) -> dict[str, Any] | None:
    """The message's JSON; None when the socket closed (its close code checked)."""
    if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
        conversation.closed_by_server = True
        code = message.data if message.type == aiohttp.WSMsgType.CLOSE else ws.close_code
        conversation.close_code = code
        assert code not in SERVER_FAILURE_CLOSES, f"the server closed the socket with {code}"
        return None
    assert message.type == aiohttp.WSMsgType.TEXT, f"a {message.type} frame: {message.data!r}"
    body: dict[str, Any] = json.loads(message.data)
    return body


def check_event(body: dict[str, Any]) -> None:
    """Every error of a `next`/`data`, `error` or `connection_error` message is coded."""
    payload = body.get("payload")
    kind = body["type"]
    if kind in ("next", "data"):
        assert isinstance(payload, dict), body
        check_errors(payload.get("errors"), kind)
    elif kind in ("error", "connection_error"):
        errors = payload if isinstance(payload, list) else [payload]
        check_errors(errors, kind)
    else:
        assert kind == "complete", f"an unexpected message: {body}"


class Bystander:
    """Another caller's subscription, live for a whole run: it records every (partition, offset)
    delivered, and fails on any error, completion or close."""

    def __init__(self, name: str, document: str, field_name: str) -> None:
        self.name = name
        self.document = document
        self.field_name = field_name
        self.seen: set[tuple[int, int]] = set()
        self.problem: str | None = None
        self.changed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self, session: aiohttp.ClientSession, url: str, token: str | None) -> None:
        self._task = asyncio.create_task(self._read(session, url, token))
        await asyncio.wait_for(self._ready.wait(), 30)
        if self.problem is not None:
            raise AssertionError(self.problem)

    async def _read(self, session: aiohttp.ClientSession, url: str, token: str | None) -> None:
        try:
            async with session.ws_connect(url, protocols=[TRANSPORT_WS]) as ws:
                await ws.send_json({"type": "connection_init", "payload": init_payload(token)})
                ack = await ws.receive_json(timeout=30)
                assert ack["type"] == "connection_ack", ack
                operation = Operation(self.document)
                await ws.send_str(start_message(operation, TRANSPORT_WS))
                self._ready.set()
                async for message in ws:
                    body = json.loads(message.data)
                    if body["type"] == "ping":
                        await ws.send_str('{"type":"pong"}')
                        continue
                    if body["type"] != "next" or body["payload"].get("errors"):
                        raise AssertionError(f"the bystander got {body}")
                    delivered = body["payload"]["data"][self.field_name]
                    async with self.changed:
                        self.seen.add((delivered["partition"], delivered["offset"]))
                        self.changed.notify_all()
                raise AssertionError(f"the bystander's socket closed: {ws.close_code}")
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 (any end is the finding, kept for the test)
            async with self.changed:
                self.problem = f"bystander {self.name}: {error!r}"[:2000]
                self.changed.notify_all()
        finally:
            self._ready.set()

    async def received(self, records: set[tuple[int, int]], timeout_s: float = 15) -> None:
        """Returns once every record was delivered; fails if it is not within `timeout_s`."""
        async with self.changed:
            try:
                await asyncio.wait_for(
                    self.changed.wait_for(lambda: records <= self.seen or self.problem is not None),
                    timeout_s,
                )
            except TimeoutError:
                missing = sorted(records - self.seen)
                raise AssertionError(f"bystander {self.name} never received {missing}") from None
            assert self.problem is None, self.problem

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


async def await_joined(
    producer: AIOKafkaProducer, topic: str, bystanders: list[Bystander], timeout_s: float = 60
) -> None:
    """Returns once every bystander of `topic` receives a record written now. A live subscription
    starts where the topic ends when it joins the topic's feed, a moment after its `subscribe`
    was sent, and no message tells when: a record written before is not its to receive. So a
    marker is written, and written again until one arrives."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        marker = await write_records(producer, topic, 0, [RawRecord(value=b"{}")])
        try:
            for bystander in bystanders:
                await bystander.received(marker, timeout_s=1)
            return
        except AssertionError:
            if loop.time() > deadline or any(b.problem for b in bystanders):
                raise


async def write_records(
    producer: AIOKafkaProducer, topic: str, partition: int, records: list[RawRecord]
) -> set[tuple[int, int]]:
    """Writes `records` as they are (any bytes) to one partition: their (partition, offset)s."""
    written: set[tuple[int, int]] = set()
    for record in records:
        metadata = await producer.send_and_wait(
            topic,
            value=record.value,
            key=record.key,
            headers=list(record.headers),
            partition=partition,
            timestamp_ms=record.timestamp_ms,
        )
        written.add((metadata.partition, metadata.offset))
    return written


def protocol_messages(operation: st.SearchStrategy[Operation]) -> st.SearchStrategy[list[str]]:
    """What a client may send after `connection_init`: the protocols' message types and others,
    ids reused or of any shape, payloads of any shape, a subscription now and then; as text."""
    kinds = st.sampled_from(
        ["subscribe", "start", "complete", "stop", "ping", "pong", "connection_init", "ka", "next"]
    )
    ids = st.one_of(st.sampled_from(["1", "2", ""]), st.integers(), st.none(), TEXT)
    payloads = st.one_of(
        operation.map(lambda o: o.payload()), json_values(max_leaves=6), st.just({"query": 1})
    )
    message = st.fixed_dictionaries(
        {"type": kinds | TEXT}, optional={"id": ids, "payload": payloads}
    ).map(encode_json)
    junk = st.one_of(TEXT, st.just("{}"), st.just("[]"), st.just("null"))
    return st.lists(st.one_of(message, message, message, junk), min_size=1, max_size=4)


async def converse_raw(
    session: aiohttp.ClientSession,
    url: str,
    token: str | None,
    protocol: str,
    messages: list[str],
) -> Conversation:
    """Opens a socket, sends `connection_init` and then `messages` as they are; reads what comes
    back until the server goes quiet or closes the socket; checks every event and the close code."""
    conversation = Conversation()
    async with session.ws_connect(url, protocols=[protocol]) as ws:
        await ws.send_str(json.dumps({"type": "connection_init", "payload": init_payload(token)}))
        if not await _acknowledged(ws, conversation):
            return conversation
        for text in messages:
            if ws.closed:
                break
            # As bytes: a lone surrogate makes a text frame that is not UTF-8, which the server
            # closes the socket for (1007). It is the last one sent: writing after the server
            # closed resets the connection, and its close frame may be lost with it.
            data = text.encode("utf-8", "surrogatepass")
            try:
                await ws.send_frame(data, aiohttp.WSMsgType.TEXT)
            except ConnectionResetError:
                return conversation  # closed by an earlier message (e.g. 4400)
            if not _is_utf8(data):
                break
        while len(conversation.events) < MAX_EVENTS:
            try:
                message = await ws.receive(timeout=QUIET_S)
            except TimeoutError:
                break
            body = _event(ws, message, conversation)
            if body is None:
                break
            if body["type"] in ("ping", "ka", "pong"):
                continue
            conversation.events.append(body)
            check_event(body)
    return conversation


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode()
    except UnicodeDecodeError:
        return False
    return True
