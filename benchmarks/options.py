"""Scenario sizes: the issue's by default, smaller with `--quick` (a smoke run of the whole suite
in a few minutes), longer with `--soak` (P9's churn for the full five minutes)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class Options:
    bootstrap: str
    duration_s: float = 10.0  # P1, P2, P3 measuring time per side
    http_workers: int = 2  # client processes for P1/P3 (in-flight requests split over them)
    in_flight: int = 32  # P1
    batch_size: int = 100  # P2
    batch_in_flight: int = 4  # P2
    consume_messages: int = 20_000  # P4
    fanout: tuple[int, ...] = (10, 100, 1000, 5000)  # P5/P10 subscribers
    fanout_messages: int = 100  # P5, at least
    fanout_deliveries: int = 10_000  # P5, at least (more messages for fewer subscribers)
    filter_subscribers: tuple[int, ...] = (10, 1000, 5000)  # P6
    filter_keys: int = 1000  # P6
    filter_messages: int = 5000  # P6
    latency_rate: float = 1000.0  # P7 messages/s
    latency_subscribers: int = 100  # P7, P8
    stall_rate: float = 100.0  # P8 messages/s
    stall_value_bytes: int = 8000  # P8: padding, so that the stalled socket's buffers fill
    latency_duration_s: float = 10.0  # P7, P8 measuring time per run
    idle_subscriptions: int = 10_000  # P9
    churn_s: float = 60.0  # P9
    sub_workers: int = 4  # subscriber client processes (P5, P6, P9)
    compress: int = 0  # permessage-deflate offered by the subscribers (window bits; 0: off)
    p11_duration_s: float = 20.0  # P11 measuring time per run (idle, default budgets, raised)

    def quick(self) -> Options:
        return dataclasses.replace(
            self,
            duration_s=3.0,
            consume_messages=5000,
            fanout=(10, 100, 1000),
            fanout_messages=10,
            fanout_deliveries=2000,
            filter_subscribers=(10, 1000),
            filter_messages=1000,
            latency_rate=200.0,
            stall_rate=50.0,
            latency_duration_s=3.0,
            idle_subscriptions=1000,
            churn_s=5.0,
            sub_workers=2,
            p11_duration_s=6.0,
        )
