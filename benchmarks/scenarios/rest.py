"""The REST face (Confluent REST Proxy API v2) beside its GraphQL rows: R1 is P1's produce as
REST produces of one record, beside the same bare handler (bare_http.py, reading the REST
body); R4 is P4's replay read by one consumer instance polling `GET .../records`, beside the
same raw aiokafka consumer."""

from __future__ import annotations

import json
import time
import uuid

import aiohttp

from benchmarks import servers
from benchmarks.kafka_util import new_topic, produce_many, producer
from benchmarks.results import Row
from benchmarks.scenarios.base import Run
from benchmarks.scenarios.consume import raw_consume
from benchmarks.scenarios.produce import http_load, produce_row

REST_ON = "[rest]\nenabled = true\n"
V2 = {"Content-Type": "application/vnd.kafka.v2+json"}
RECORDS = {"Accept": "application/vnd.kafka.json.v2+json"}


async def r1(run: Run) -> list[Row]:
    """REST produce of one record, 32 in flight, vs the bare handler (P1's)."""
    o = run.options
    topic = await new_topic(o.bootstrap, "r1")
    async with servers.bare_http(o.bootstrap) as bare_server:
        bare = await http_load(bare_server, topic, run, rest=True)
    async with servers.gateway(o.bootstrap, extra=REST_ON) as gateway_server:
        gateway = await http_load(gateway_server, topic, run, rest=True)
    label = f"REST produce (v2, one record) over HTTP, {o.in_flight} in flight"
    return [produce_row("R1", label, gateway, bare)]


async def _instance_reads(url: str, topic: str, count: int) -> tuple[float, float, float]:
    """A json consumer instance assigned `topic` from its beginning, polled until it has read
    `count` records: the seconds that took, this client's CPU seconds, and how many requests."""
    base = f"{url}/consumers/bench-r4-{uuid.uuid4().hex[:8]}"
    async with aiohttp.ClientSession() as http:
        config = {"name": "r4", "format": "json", "auto.commit.enable": "false"}
        async with http.post(base, json=config, headers=V2) as response:
            instance = (await response.json())["base_uri"]
        partitions = {"partitions": [{"topic": topic, "partition": 0}]}
        for tail in ("/assignments", "/positions/beginning"):
            async with http.post(instance + tail, json=partitions, headers=V2) as response:
                assert response.status == 204, await response.text()
        try:
            cpu0, started, seen, requests = time.process_time(), time.perf_counter(), 0, 0
            while seen < count:
                records = f"{instance}/records?timeout=1000&max_bytes=67108864"
                async with http.get(records, headers=RECORDS) as response:
                    assert response.status == 200, await response.text()
                    seen += len(json.loads(await response.read()))
                requests += 1
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu0
        finally:
            async with http.delete(instance) as response:
                await response.read()
    return wall, cpu, requests


async def r4(run: Run) -> list[Row]:
    """One consumer instance reading P4's replay (json format) vs the raw consumer."""
    o = run.options
    count = o.consume_messages
    topic = await new_topic(o.bootstrap, "r4")
    async with producer(o.bootstrap) as client:
        await produce_many(client, topic, count)
    raw_rate, raw_cpu_us = await raw_consume(o.bootstrap, topic, count)
    async with servers.gateway(o.bootstrap, extra=REST_ON) as gateway:
        cpu0 = gateway.probe.cpu_s()
        wall, client_cpu, requests = await _instance_reads(gateway.url, topic, count)
        cpu = gateway.probe.cpu_s() - cpu0
        rss = gateway.probe.peak_rss_mb()
    rate = count / wall
    ratio = rate / raw_rate
    return [
        Row(
            "R4",
            "one REST consumer instance, json (replay from offset 0)",
            rate,
            raw_rate,
            "msg/s",
            ratio,
            target=">= 0.3",
            passed=ratio >= 0.3,
            gateway_cpu_us=cpu / count * 1e6,
            baseline_cpu_us=raw_cpu_us,
            gateway_rss_mb=rss,
            details={
                "messages": count,
                "requests": requests,
                "client_cpu_us_per_msg": client_cpu / count * 1e6,
            },
        )
    ]
