"""The fan-out baseline: one aiokafka consumer and a bare aiohttp WebSocket server that speaks
just enough graphql-transport-ws (connection_init/ack, subscribe, complete, ping) and broadcasts
each record as a `next` frame serialised once: only the subscription id differs per socket.
A subscription's `filter: {key}` variable is honoured through a dict keyed by key.

A socket whose send buffer holds more than 32 KB (a subscriber that does not read) is skipped
for that record, so that it can never block the others.

    python -m benchmarks.bare_ws --bootstrap HOST:PORT --port N --topic T
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web
from aiokafka import AIOKafkaConsumer, TopicPartition

_SKIP_BUFFERED = 32 * 1024


@dataclass(eq=False)
class Subscriber:
    ws: web.WebSocketResponse
    request: web.Request
    id: str
    key: str | None


@dataclass
class Hub:
    by_key: defaultdict[str | None, set[Subscriber]] = field(
        default_factory=lambda: defaultdict(set)
    )
    skipped: int = 0

    async def broadcast(self, key: str | None, offset: int, value: bytes) -> None:
        head = '{"id":"'
        tail = f'","type":"next","payload":{{"data":{{"messages":{{"offset":{offset},"value":'
        tail += value.decode() + "}}}}"
        targets = list(self.by_key.get(None, ()))
        if key is not None:
            targets.extend(self.by_key.get(key, ()))
        for sub in targets:
            transport = sub.request.transport
            if transport is None or transport.is_closing():
                continue
            if transport.get_write_buffer_size() > _SKIP_BUFFERED:
                self.skipped += 1
                continue
            await sub.ws.send_str(head + sub.id + tail)


HUB = web.AppKey("hub", Hub)


async def websocket(request: web.Request) -> web.WebSocketResponse:
    hub = request.app[HUB]
    ws = web.WebSocketResponse(protocols=("graphql-transport-ws",))
    await ws.prepare(request)
    mine: dict[str, Subscriber] = {}
    try:
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            kind = data.get("type")
            if kind == "connection_init":
                await ws.send_str('{"type":"connection_ack"}')
            elif kind == "ping":
                await ws.send_str('{"type":"pong"}')
            elif kind == "subscribe":
                variables = data["payload"].get("variables") or {}
                key = (variables.get("f") or {}).get("key")
                sub = Subscriber(ws, request, data["id"], key)
                mine[sub.id] = sub
                hub.by_key[key].add(sub)
            elif kind == "complete" and data["id"] in mine:
                sub = mine.pop(data["id"])
                hub.by_key[sub.key].discard(sub)
    finally:
        for sub in mine.values():
            hub.by_key[sub.key].discard(sub)
    return ws


async def ready(_: web.Request) -> web.Response:
    return web.Response(text="ok")


async def skipped(request: web.Request) -> web.Response:
    return web.Response(text=str(request.app[HUB].skipped))


def create_app(bootstrap: str, topic: str, partitions_count: int) -> web.Application:
    async def consumer_ctx(app: web.Application) -> AsyncIterator[None]:
        hub = app[HUB] = Hub()
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
        await consumer.start()
        partitions = [TopicPartition(topic, p) for p in range(partitions_count)]
        consumer.assign(partitions)
        await consumer.seek_to_end(*partitions)
        for tp in partitions:
            await consumer.position(tp)

        async def pump() -> None:
            while True:
                batches = await consumer.getmany(timeout_ms=500)
                for records in batches.values():
                    for record in records:
                        key = record.key.decode() if record.key is not None else None
                        await hub.broadcast(key, record.offset, record.value or b"null")

        task = asyncio.create_task(pump())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await consumer.stop()

    app = web.Application()
    app.cleanup_ctx.append(consumer_ctx)
    app.router.add_get("/graphql", websocket)
    app.router.add_get("/readyz", ready)
    app.router.add_get("/skipped", skipped)
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--partitions", type=int, default=1)
    args = parser.parse_args()
    app = create_app(args.bootstrap, args.topic, args.partitions)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
