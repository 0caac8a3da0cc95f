"""The produce baseline: a bare aiohttp handler with the gateway's producer settings (idempotent,
acks=all, linger 1 ms) that writes the posted value. It reads the same request body a GraphQL
client sends the gateway and answers the same shape, with no GraphQL in between; and, at
`/topics/{topic}`, a REST (Confluent v2) produce's body, answered in Confluent's shape.

    python -m benchmarks.bare_http --bootstrap HOST:PORT --port N
"""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator

from aiohttp import web
from aiokafka import AIOKafkaProducer

PRODUCER = web.AppKey("producer", AIOKafkaProducer)


async def produce(request: web.Request) -> web.Response:
    body = await request.json()
    variables = body["variables"]
    producer = request.app[PRODUCER]
    if "m" in variables:  # a batch, as produceBatch
        futures = [
            await producer.send(variables["t"], json.dumps(m["value"]).encode())
            for m in variables["m"]
        ]
        offsets = [{"offset": (await f).offset} for f in futures]
        return web.json_response({"data": {"produceBatch": offsets}})
    metadata = await producer.send_and_wait(variables["t"], json.dumps(variables["v"]).encode())
    return web.json_response({"data": {"produce": {"offset": metadata.offset}}})


async def produce_rest(request: web.Request) -> web.Response:
    body = await request.json()
    producer = request.app[PRODUCER]
    futures = [
        await producer.send(request.match_info["topic"], json.dumps(r["value"]).encode())
        for r in body["records"]
    ]
    offsets = []
    for future in futures:
        written = await future
        where = {"partition": written.partition, "offset": written.offset}
        offsets.append({**where, "error_code": None, "error": None})
    answer = {"offsets": offsets, "key_schema_id": None, "value_schema_id": None}
    return web.Response(
        text=json.dumps(answer, separators=(",", ":")), content_type="application/vnd.kafka.v2+json"
    )


async def ready(_: web.Request) -> web.Response:
    return web.Response(text="ok")


def create_app(bootstrap: str) -> web.Application:
    async def producer_ctx(app: web.Application) -> AsyncIterator[None]:
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=1
        )
        await producer.start()
        app[PRODUCER] = producer
        try:
            yield
        finally:
            await producer.stop()

    app = web.Application()
    app.cleanup_ctx.append(producer_ctx)
    app.router.add_post("/graphql", produce)
    app.router.add_post("/topics/{topic}", produce_rest)
    app.router.add_get("/readyz", ready)
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    web.run_app(create_app(args.bootstrap), host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
