"""`kafka_gateway.v1.KafkaGateway`: each method reads its request into the core's arguments,
makes one core call through the seam (grpc/seam.py) and writes the result back; nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator

from kafka_graphql.core import metadata
from kafka_graphql.core.errors import GatewayError
from kafka_graphql.core.limits.call_cost import LIST_COST, charge, write_cost
from kafka_graphql.core.produce import NewRecord, Written, produce
from kafka_graphql.grpc.generated import gateway_pb2 as pb
from kafka_graphql.grpc.generated import gateway_pb2_grpc as pb_grpc
from kafka_graphql.grpc.messages import locate, new_record, written
from kafka_graphql.grpc.seam import Call, Context, Seam
from kafka_graphql.grpc.stream import receive


class KafkaGatewayService(pb_grpc.KafkaGatewayServicer):
    def __init__(self, seam: Seam) -> None:
        self.seam = seam

    async def SendMessage(
        self, request: pb.SendMessageRequest, context: Context
    ) -> pb.SendMessageResponse:
        async def send(call: Call) -> pb.SendMessageResponse:
            record = new_record(request.message, "message")
            results = await _write(call, request.topic, [record], "message", batch=None)
            return written(results[0])

        response = await self.seam.unary(
            context, "SendMessage", "mutation", request.ByteSize(), send
        )
        return response

    async def SendMessages(
        self, request: pb.SendMessagesRequest, context: Context
    ) -> pb.SendMessagesResponse:
        async def send(call: Call) -> pb.SendMessagesResponse:
            records = [new_record(m, f"messages.{i}") for i, m in enumerate(request.messages)]
            results = await _write(call, request.topic, records, "messages", batch="messages")
            return pb.SendMessagesResponse(results=[written(r) for r in results])

        return await self.seam.unary(context, "SendMessages", "mutation", request.ByteSize(), send)

    async def ReceiveMessages(
        self, request: pb.ReceiveMessagesRequest, context: Context
    ) -> AsyncIterator[pb.ReceivedMessage]:
        async with self.seam.call(
            context, "ReceiveMessages", "subscription", request.ByteSize()
        ) as call:
            async for message in receive(call, request, lambda: context.send_initial_metadata(())):
                yield message

    async def ListTopics(
        self, request: pb.ListTopicsRequest, context: Context
    ) -> pb.ListTopicsResponse:
        async def topics(call: Call) -> pb.ListTopicsResponse:
            core, principal = call.core, call.principal
            charge(core.limits, principal.id, LIST_COST, LIST_COST)
            answer = pb.ListTopicsResponse()
            counts = await metadata.topic_partition_counts(core, principal)
            for name, partitions in counts.items():
                rule = core.topics.rule_for(name)
                info = answer.topics.add(name=name, partitions=partitions)
                if rule is not None and rule.type is not None:
                    info.type = rule.type
            return answer

        return await self.seam.unary(context, "ListTopics", "query", request.ByteSize(), topics)


async def _write(
    call: Call, topic: str, records: list[NewRecord], at: str, *, batch: str | None
) -> list[Written]:
    """`at`: the request's field of the records (`message`, `messages`); `batch`: the name a
    batch's refusals give it (the request's `messages`), None for one record."""
    core, principal = call.core, call.principal
    headers = sum(len(r.headers or ()) for r in records)
    points = write_cost(len(records), headers, batch=batch is not None)
    charge(core.limits, principal.id, points, points)
    try:
        return await produce(core, principal, topic, records, batch=batch)
    except GatewayError as error:
        raise locate(error, at) from None
