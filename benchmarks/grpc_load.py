"""gRPC load, in client processes: `SendMessage` closed loop (G1, with http_load's worker
protocol and report), and `ReceiveMessages` subscribers that count messages without looking at
them (G5)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection

from grpc import aio

from benchmarks.http_load import HttpReport
from kafka_graphql.grpc.generated import gateway_pb2 as pb
from kafka_graphql.grpc.generated import gateway_pb2_grpc as pb_grpc

_CTX = multiprocessing.get_context("spawn")


@dataclass(frozen=True)
class SendSpec:
    target: str  # host:port
    topic: str
    in_flight: int
    duration_s: float


async def _send(spec: SendSpec, conn: Connection) -> HttpReport:
    report = HttpReport(0, 0, None, [], 0.0, 0.0)
    async with aio.insecure_channel(spec.target) as channel:
        stub = pb_grpc.KafkaGatewayStub(channel)

        async def one(n: int) -> None:
            request = pb.SendMessageRequest(
                topic=spec.topic, message=pb.Message(json=json.dumps({"n": n}))
            )
            started = time.perf_counter()
            try:
                await stub.SendMessage(request)
            except aio.AioRpcError as error:
                report.errors += 1
                report.first_error = report.first_error or f"{error.code()} {error.details()}"
                return
            report.ok += 1
            report.latencies_ms.append((time.perf_counter() - started) * 1000)

        await one(0)  # the connection, before the clock starts
        report.ok, report.latencies_ms = 0, []
        conn.send("ready")
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)
        cpu0, started = time.process_time(), time.perf_counter()
        end = started + spec.duration_s
        counter = iter(range(1, 1 << 62))

        async def loop() -> None:
            while time.perf_counter() < end:
                await one(next(counter))

        await asyncio.gather(*(loop() for _ in range(spec.in_flight)))
        report.wall_s = time.perf_counter() - started
        report.cpu_s = time.process_time() - cpu0
    return report


def send_main(spec: SendSpec, conn: Connection) -> None:
    conn.send(asyncio.run(_send(spec, conn)))


@dataclass(frozen=True)
class StreamSpec:
    target: str
    topic: str
    streams: int


class _Tally:
    """Messages received by one process's streams; events when all are live and when a count
    is reached (the per-message work is an addition and a comparison)."""

    def __init__(self, streams: int) -> None:
        self.total = 0
        self.waiting = streams
        self.all_live = asyncio.Event()
        self.target = 1 << 62
        self.reached = asyncio.Event()

    def got(self, first: bool) -> None:
        self.total += 1
        if first:
            self.waiting -= 1
            if not self.waiting:
                self.all_live.set()
        if self.total >= self.target:
            self.reached.set()


async def _streams(spec: StreamSpec, conn: Connection) -> None:
    """Opens `streams` streams from the end; says "live" once each received a message (the
    driver writes warm-up records until then); then, at each ("count", n), answers the
    messages received since, once there are `n` of them (or after 60 s), with its CPU."""
    tally = _Tally(spec.streams)
    async with aio.insecure_channel(spec.target) as channel:
        stub = pb_grpc.KafkaGatewayStub(channel)

        async def one() -> None:
            first = True
            async for _ in stub.ReceiveMessages(pb.ReceiveMessagesRequest(topic=spec.topic)):
                tally.got(first)
                first = False

        tasks = [asyncio.create_task(one()) for _ in range(spec.streams)]
        loop = asyncio.get_running_loop()
        await tally.all_live.wait()
        conn.send("live")
        while (order := await loop.run_in_executor(None, conn.recv)) != "stop":
            base, cpu0 = tally.total, time.process_time()
            tally.target, tally.reached = base + order[1], asyncio.Event()
            if tally.total < tally.target:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(tally.reached.wait(), 60)
            conn.send((tally.total - base, time.process_time() - cpu0))
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def streams_main(spec: StreamSpec, conn: Connection) -> None:
    asyncio.run(_streams(spec, conn))


class StreamPool:
    """Subscriber processes, each with its share of the streams."""

    def __init__(self, target: str, topic: str, streams: int, workers: int) -> None:
        shares = [streams // workers + (i < streams % workers) for i in range(workers)]
        self.shares = [s for s in shares if s]
        self.conns: list[Connection] = []
        self.procs: list[multiprocessing.process.BaseProcess] = []
        for share in self.shares:
            mine, theirs = _CTX.Pipe()
            proc = _CTX.Process(
                target=streams_main, args=(StreamSpec(target, topic, share), theirs)
            )
            proc.start()
            self.conns.append(mine)
            self.procs.append(proc)
        self.waiting = list(self.conns)

    async def live(self) -> bool:
        """Whether every process has all its streams live (polled by the driver)."""
        for conn in self.waiting[:]:
            if conn.poll():
                assert conn.recv() == "live"
                self.waiting.remove(conn)
        return not self.waiting

    async def count(self, per_stream: int) -> tuple[int, float]:
        """Received messages and the clients' CPU, once each stream has `per_stream` more."""
        for conn, share in zip(self.conns, self.shares, strict=True):
            conn.send(("count", share * per_stream))
        loop = asyncio.get_running_loop()
        answers = [await loop.run_in_executor(None, conn.recv) for conn in self.conns]
        return sum(a[0] for a in answers), sum(a[1] for a in answers)

    def close(self) -> None:
        for conn in self.conns:
            conn.send("stop")
        for proc in self.procs:
            proc.join(10)
            if proc.is_alive():
                proc.kill()
                proc.join()
