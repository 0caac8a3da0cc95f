"""The header caps of a record written through the gateway (docs/limits.md#headers).

Kafka bounds a record by its bytes only, so a produce could carry tens of thousands of tiny
headers: each becomes an object for every later reader, filter and index. Checked before
anything is encoded or written; the refusal names the offending argument as `extensions.path`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from kafka_graphql.core.errors import BadUserInput
from kafka_graphql.settings.limits import LimitsSettings

# A path into the field's arguments: ("headers", 64) or ("messages", 3, "headers", 2, "key").
ArgumentPath = tuple[str | int, ...]


class NamedHeader(Protocol):
    @property
    def key(self) -> str: ...


def check_headers(
    headers: Sequence[NamedHeader] | None, limits: LimitsSettings, at: ArgumentPath = ()
) -> None:
    """BAD_USER_INPUT when `headers` (at `at` in the arguments) break the caps."""
    if not headers:
        return
    most = limits.max_headers_per_record
    if len(headers) > most:
        raise too_many_headers(len(headers), most, at)
    longest = limits.max_header_key_bytes
    for i, header in enumerate(headers):
        # surrogatepass: a lone surrogate is counted here and refused as not Unicode later.
        size = len(header.key.encode("utf-8", "surrogatepass"))
        if size > longest:
            raise BadUserInput(
                f"{_where(at)}headers[{i}].key is {size} bytes; a header name may have at most "
                f"{longest} (limits.max_header_key_bytes)",
                path=[*at, "headers", i, "key"],
            )


def too_many_headers(count: int, most: int, at: ArgumentPath = ()) -> BadUserInput:
    """The refusal of `count` headers at `at` in the arguments; also made by the cost model
    (header_cost.py), which sees the raw variables before GraphQL coerces every header."""
    return BadUserInput(
        f"{_where(at)}headers may hold at most {most} headers "
        f"(limits.max_headers_per_record), got {count}",
        path=[*at, "headers", most],
    )


def _where(at: ArgumentPath) -> str:
    if not at:
        return ""
    text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in at).lstrip(".")
    return f"{text}."
