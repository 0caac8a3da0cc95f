"""P4: one subscriber without a filter, replaying a topic from offset 0, vs a raw aiokafka
consumer reading the same records."""

from __future__ import annotations

import time

from aiokafka import AIOKafkaConsumer, TopicPartition

from benchmarks import servers
from benchmarks.drive import pool_for
from benchmarks.kafka_util import new_topic, produce_many, producer
from benchmarks.results import Row
from benchmarks.scenarios.base import Run
from benchmarks.ws_load import Socket


async def raw_consume(bootstrap: str, topic: str, count: int) -> tuple[float, float]:
    """Messages per second and CPU-µs per message of this process's consumer."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        cpu0, started, seen = time.process_time(), time.perf_counter(), 0
        while seen < count:
            batches = await consumer.getmany(timeout_ms=1000)
            seen += sum(len(records) for records in batches.values())
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu0
    finally:
        await consumer.stop()
    return count / wall, cpu / count * 1e6


async def p4(run: Run) -> list[Row]:
    o = run.options
    count = o.consume_messages
    topic = await new_topic(o.bootstrap, "p4")
    async with producer(o.bootstrap) as client:
        await produce_many(client, topic, count)
    raw_rate, raw_cpu_us = await raw_consume(o.bootstrap, topic, count)
    async with servers.gateway(o.bootstrap) as gateway:
        pool = pool_for(gateway.ws, topic, [Socket()], 1, compress=o.compress, from_offset=0)
        await pool.start()
        try:
            cpu0, started = gateway.probe.cpu_s(), time.perf_counter()
            await pool.command("subscribe")
            await pool.until(lambda: pool.total("frames") >= count, "P4 deliveries", 600)
            wall, cpu = time.perf_counter() - started, gateway.probe.cpu_s() - cpu0
            reports = await pool.reports()
        finally:
            await pool.close()
        rss = gateway.probe.peak_rss_mb()
    rate = count / wall
    ratio = rate / raw_rate
    errors = [e for r in reports for e in r.errors]
    return [
        Row(
            "P4",
            "one subscriber, no filter (replay from offset 0)",
            rate,
            raw_rate,
            "msg/s",
            ratio,
            target=">= 0.3",
            passed=ratio >= 0.3 and not errors,
            gateway_cpu_us=cpu / count * 1e6,
            baseline_cpu_us=raw_cpu_us,
            gateway_rss_mb=rss,
            details={
                "messages": count,
                "client_cpu_us_per_msg": sum(r.cpu_s for r in reports) / count * 1e6,
                "errors": errors,
            },
        )
    ]
