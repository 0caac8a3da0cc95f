"""The size of a message as produce limits count it: what Kafka stores of it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Outgoing(Protocol):
    @property
    def value(self) -> bytes | None: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def headers(self) -> Sequence[tuple[str, bytes | None]]: ...


def record_size(record: Outgoing) -> int:
    """Key, value and headers in bytes (Kafka's own framing adds a few dozen more)."""
    headers = sum(len(k.encode()) + len(v or b"") for k, v in record.headers)
    return len(record.key or b"") + len(record.value or b"") + headers
