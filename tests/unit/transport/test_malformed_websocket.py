"""Malformed messages over both WebSocket subprotocols: each one gets its protocol's answer
(docs/api.md, "Request errors"), made before any Kafka call, and the gateway keeps serving
afterwards."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import aiohttp
import pytest

from tests.clients import LEGACY_WS, TRANSPORT_WS
from tests.gateways import RunningGateway
from tests.kafka_stand_in import NotReached
from tests.unit.transport.answers import assert_still_serving, next_frame, ws_message

SUBSCRIPTION = 'subscription { messages(topic: "test-none") { offset } }'


@dataclass(frozen=True)
class WsCase:
    frames: list[str | bytes]
    close: int | None = None  # the close code expected; None: an error message, socket open
    message_type: str | None = None
    error_part: str = ""
    init: bool = True
    raw_text: list[bytes] = field(default_factory=list)  # text frames with bytes as they are


def ws_cases(protocol: str) -> dict[str, WsCase]:
    start = "subscribe" if protocol == TRANSPORT_WS else "start"
    payload = {"query": SUBSCRIPTION}
    common: dict[str, list[str | bytes]] = {
        "not JSON": ["{"],
        "NaN": ['{"type": "connection_init", "payload": {"n": NaN}}'],
        "array": ["[1, 2]"],
        "string": ['"connection_init"'],
        "number": ["7"],
        "null": ["null"],
        "no type": ['{"id": "1"}'],
        "unknown type": ['{"type": "' + "x" * 500 + '"}'],
        f"{start} without id": [ws_message(start, payload=payload)],
        f"{start} without payload": [ws_message(start, id="1")],
        f"{start} payload not an object": [ws_message(start, id="1", payload=[payload])],
        f"{start} query not a string": [ws_message(start, id="1", payload={"query": 1})],
        f"{start} variables not an object": [
            ws_message(start, id="1", payload={**payload, "variables": [1]})
        ],
        "binary frame": [b"\x00\x01"],
        "second connection_init": ['{"type": "connection_init"}'],
    }
    if protocol == TRANSPORT_WS:
        expected = {
            "not JSON": WsCase([], close=4400),
            "NaN": WsCase([], close=4400, init=False),
            "array": WsCase([], close=4400),
            "string": WsCase([], close=4400),
            "number": WsCase([], close=4400),
            "null": WsCase([], close=4400),
            "no type": WsCase([], close=4400),
            "unknown type": WsCase([], close=4400),
            "subscribe without id": WsCase([], close=4400),
            "subscribe without payload": WsCase([], close=4400),
            "subscribe payload not an object": WsCase([], close=4400),
            "subscribe query not a string": WsCase([], close=4400),
            "subscribe variables not an object": WsCase([], close=4400),
            "binary frame": WsCase([], close=4400),
            "second connection_init": WsCase([], close=4429),
        }
        extra = {
            "subscribe before connection_init": WsCase(
                [ws_message(start, id="1", payload=payload)], close=4401, init=False
            ),
            "complete before connection_init": WsCase(
                [ws_message("complete", id="1")], close=4401, init=False
            ),
            "several operations, no operationName": WsCase(
                [
                    ws_message(
                        start,
                        id="1",
                        payload={
                            "query": "query A { topics { name } } query B { topics { name } }"
                        },
                    )
                ],
                message_type="error",
                error_part="operationName",
            ),
        }
    else:
        invalid = WsCase([], message_type="error", error_part="Invalid message type")
        expected = {
            "not JSON": WsCase([], message_type="connection_error", error_part="not valid JSON"),
            "NaN": WsCase(
                [], message_type="connection_error", error_part="not valid JSON", init=False
            ),
            "array": invalid,
            "string": invalid,
            "number": invalid,
            "null": invalid,
            "no type": invalid,
            "unknown type": invalid,
            "start without id": WsCase([], close=4400),
            "start without payload": WsCase([], message_type="error", error_part="`payload`"),
            "start payload not an object": WsCase([], message_type="error", error_part="`payload`"),
            "start query not a string": WsCase(
                [], message_type="error", error_part="`payload.query`"
            ),
            "start variables not an object": WsCase(
                [], message_type="error", error_part="`payload.variables`"
            ),
            "binary frame": WsCase([], close=4400),
            "second connection_init": WsCase([], close=4400),
        }
        extra = {
            "start before connection_init": WsCase(
                [ws_message(start, id="1", payload=payload)], close=4401, init=False
            ),
            "several operations, no operationName": WsCase(
                [
                    ws_message(
                        start,
                        id="1",
                        payload={
                            "query": "query A { topics { name } } query B { topics { name } }"
                        },
                    )
                ],
                message_type="error",
                error_part="operationName",
            ),
        }
    cases = {
        name: WsCase(frames, e.close, e.message_type, e.error_part, e.init)
        for name, frames in common.items()
        for e in [expected[name]]
    }
    cases.update(extra)
    cases["unknown operationName"] = WsCase(
        [ws_message(start, id="1", payload={**payload, "operationName": "Nope" * 1000})],
        message_type="error",
        error_part="Nope",
    )
    # aiohttp's max_msg_size (limits.max_request_bytes) closes with 1009, message too big.
    cases["message over the size limit"] = WsCase(
        ['{"type": "' + "x" * 1_100_000 + '"}'], close=1009
    )
    # RFC 6455: text that isn't UTF-8 fails the connection, with 1007 (aiohttp's reader does it).
    cases["text frame not UTF-8"] = WsCase([], close=1007, raw_text=[b'{"type": "\xff"}'])
    return cases


WS_CASES = [
    pytest.param(protocol, case, id=f"{protocol}: {name}")
    for protocol in (TRANSPORT_WS, LEGACY_WS)
    for name, case in ws_cases(protocol).items()
]


@pytest.mark.parametrize(("protocol", "case"), WS_CASES)
async def test_malformed_websocket_message_gets_its_protocol_answer(
    protocol: str,
    case: WsCase,
    gateway: RunningGateway,
    http: aiohttp.ClientSession,
    kafka: NotReached,
) -> None:
    async with http.ws_connect(gateway.url, protocols=[protocol]) as ws:
        if case.init:
            await ws.send_str('{"type": "connection_init"}')
            assert json.loads((await next_frame(ws)).data)["type"] == "connection_ack"
        for frame in case.frames:
            if isinstance(frame, bytes):
                await ws.send_bytes(frame)
            else:
                await ws.send_str(frame)
        for raw in case.raw_text:
            await ws.send_frame(raw, aiohttp.WSMsgType.TEXT)
        answer = await next_frame(ws)
        if case.close is not None:
            assert answer.type is aiohttp.WSMsgType.CLOSE, answer
            assert answer.data == case.close
            assert len((answer.extra or "").encode()) <= 123
        else:
            assert answer.type is aiohttp.WSMsgType.TEXT, answer
            message = json.loads(answer.data)
            assert message["type"] == case.message_type
            errors = message["payload"]
            (error,) = errors if isinstance(errors, list) else [errors]
            assert error["extensions"]["code"] == "BAD_REQUEST"
            assert case.error_part in error["message"]
            if case.message_type == "error":
                # An operation-level refusal: the connection still serves operations (here,
                # one that the resolver answers with NOT_FOUND: over the stand-in, from the
                # metadata of a cluster without topics).
                with kafka.empty_cluster():
                    await ws.send_str(ws_subscribe(protocol))
                    data = json.loads((await next_frame(ws)).data)
                assert data["id"] == "ok" and data["type"] == "error", data
                errors = data["payload"]
                (error,) = errors if isinstance(errors, list) else [errors]
                assert error["extensions"]["code"] == "NOT_FOUND"
    await assert_still_serving(gateway, http)


def ws_subscribe(protocol: str) -> str:
    kind = "subscribe" if protocol == TRANSPORT_WS else "start"
    return ws_message(kind, id="ok", payload={"query": SUBSCRIPTION})
