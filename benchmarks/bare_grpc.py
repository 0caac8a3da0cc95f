"""The gRPC baselines (G1, G5): a bare `grpc.aio` server with the gateway's producer settings
(idempotent, acks=all, linger 1 ms) and one aiokafka consumer, speaking the gateway's own
service (the same generated messages), with nothing of the gateway in between:

- `SendMessage` writes the message's `json` as its bytes and answers where Kafka put it;
- `ReceiveMessages` streams every record of `--topic` from now on; each record's
  `ReceivedMessage` is serialised once and the same bytes go to every stream (a stream whose
  queue holds 1,000 records is skipped for the next one, so that it never blocks the others).

It answers `GET /readyz` over HTTP on `--port` (how the benchmarks wait for a server).

    python -m benchmarks.bare_grpc --bootstrap HOST:PORT --port N --grpc-port M --topic T
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import AsyncIterator

import grpc
from aiohttp import web
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from grpc import aio

from kafka_graphql.grpc.generated import gateway_pb2 as pb

SERVICE = "kafka_gateway.v1.KafkaGateway"
QUEUE = 1000


class Bare:
    def __init__(self, bootstrap: str) -> None:
        self.producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=1
        )
        self.streams: set[asyncio.Queue[bytes]] = set()
        self.skipped = 0

    async def send(self, request: pb.SendMessageRequest, _: object) -> pb.SendMessageResponse:
        ack = await self.producer.send_and_wait(request.topic, request.message.json.encode())
        response = pb.SendMessageResponse(
            topic=ack.topic, partition=ack.partition, offset=ack.offset
        )
        response.timestamp.FromMilliseconds(ack.timestamp)
        return response

    async def receive(
        self, _: pb.ReceiveMessagesRequest, context: aio.ServicerContext[object, object]
    ) -> AsyncIterator[bytes]:
        queue: asyncio.Queue[bytes] = asyncio.Queue(QUEUE)
        self.streams.add(queue)
        try:
            await context.send_initial_metadata(())
            while True:
                yield await queue.get()
        finally:
            self.streams.discard(queue)

    async def broadcast(self, bootstrap: str, topic: str) -> None:
        consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="latest")
        await consumer.start()
        try:
            async for record in consumer:
                message = pb.ReceivedMessage(
                    topic=record.topic,
                    partition=record.partition,
                    offset=record.offset,
                    json=(record.value or b"").decode(),
                )
                message.timestamp.FromMilliseconds(record.timestamp)
                data = message.SerializeToString()
                for queue in self.streams:
                    if queue.full():
                        self.skipped += 1
                    else:
                        queue.put_nowait(data)
        finally:
            await consumer.stop()


async def ready(_: web.Request) -> web.Response:
    return web.Response(text="ok")


def handlers(bare: Bare) -> grpc.GenericRpcHandler:
    return grpc.method_handlers_generic_handler(
        SERVICE,
        {
            "SendMessage": grpc.unary_unary_rpc_method_handler(
                bare.send,
                request_deserializer=pb.SendMessageRequest.FromString,
                response_serializer=pb.SendMessageResponse.SerializeToString,
            ),
            # The bytes serialised once per record, as they are.
            "ReceiveMessages": grpc.unary_stream_rpc_method_handler(
                bare.receive,
                request_deserializer=pb.ReceiveMessagesRequest.FromString,
                response_serializer=bytes,
            ),
        },
    )


async def serve(bootstrap: str, port: int, grpc_port: int, topic: str) -> None:
    bare = Bare(bootstrap)
    await bare.producer.start()
    broadcasting = asyncio.create_task(bare.broadcast(bootstrap, topic))
    server = aio.server()
    server.add_generic_rpc_handlers((handlers(bare),))
    server.add_insecure_port(f"127.0.0.1:{grpc_port}")
    await server.start()
    app = web.Application()
    app.router.add_get("/readyz", ready)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        await server.wait_for_termination()
    finally:
        broadcasting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await broadcasting
        await server.stop(1)
        await runner.cleanup()
        await bare.producer.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--grpc-port", type=int, required=True)
    parser.add_argument("--topic", required=True)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.bootstrap, args.port, args.grpc_port, args.topic))


if __name__ == "__main__":
    main()
