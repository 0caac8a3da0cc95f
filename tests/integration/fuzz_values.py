"""Hostile values for the fuzz tests: what a caller may put in a variable, a literal or a
record. Numbers beyond Python's integer-digit limit and JSON nested deeper than any parser's
recursion limit cannot be Python values here (a 5,000-digit int cannot even be printed), so they
travel as text: `Digits` (an integer literal) and `RawJSON` (a JSON fragment).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import graphql
from hypothesis import strategies as st


class Digits(str):
    """An integer written out, of any length (`-` and digits)."""


class RawJSON(str):
    """A JSON fragment sent as it is (e.g. an array nested 100,000 deep)."""


def encode_json(value: Any) -> str:
    """JSON text of `value`, with `Digits` and `RawJSON` written as they are. Strings keep
    lone surrogates as `\\udxxx` escapes (valid JSON that no UTF-8 encoder can write)."""
    if isinstance(value, Digits | RawJSON):
        return str(value)
    if isinstance(value, dict):
        members = (f"{json.dumps(k)}:{encode_json(v)}" for k, v in value.items())
        return "{" + ",".join(members) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(encode_json(v) for v in value) + "]"
    return json.dumps(value)


def literal(value: Any) -> graphql.ValueNode:
    """`value` as a GraphQL literal."""
    if value is None:
        return graphql.NullValueNode()
    if isinstance(value, bool):
        return graphql.BooleanValueNode(value=value)
    if isinstance(value, Digits):
        return graphql.IntValueNode(value=str(value))
    if isinstance(value, RawJSON):
        return graphql.StringValueNode(value=str(value))
    if isinstance(value, int):
        return graphql.IntValueNode(value=str(value))
    if isinstance(value, float):
        return graphql.FloatValueNode(value=repr(value))
    if isinstance(value, str):
        return graphql.StringValueNode(value=value)
    if isinstance(value, dict):
        fields = [
            graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=literal(v))
            for k, v in value.items()
            if _is_name(k)
        ]
        return graphql.ObjectValueNode(fields=tuple(fields))
    return graphql.ListValueNode(values=tuple(literal(v) for v in value))


def _is_name(text: str) -> bool:
    return (
        bool(text)
        and (text[0].isascii() and (text[0].isalpha() or text[0] == "_"))
        and all(c.isascii() and (c.isalnum() or c == "_") for c in text)
    )


# Text of every kind, lone surrogates included (hypothesis leaves them out by default).
SURROGATES = st.sampled_from(["\ud800", "\udfff", "a\udc80b"])
TEXT = st.one_of(st.text(max_size=30), SURROGATES, st.sampled_from(["", " ", "\x00", "\u202e"]))
# What str.isdigit() or int() accept beyond ASCII digits, and near misses.
ODD_DIGITS = st.sampled_from(
    [
        "²",
        "³",
        "¹",
        "١٢",
        "٣",
        "߁",
        "\U0001d7d9",
        "\uff10",
        "\u0d66",
        "1_000",
        " 7",
        "+7",
        "-0",
        "0x10",
        "1e3",
        "٣٤",
    ]
)


def huge_integers() -> st.SearchStrategy[Digits]:
    """Integers past int64 and past Python's 4,300-digit limit for int()/str()."""
    lengths = st.sampled_from([19, 20, 40, 4300, 4301, 5000])
    return st.builds(lambda n, sign: Digits(sign + "9" * n), lengths, st.sampled_from(["", "-"]))


INT64_EDGES = st.sampled_from([2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64, 2**31, -1, 0])


def longs() -> st.SearchStrategy[Any]:
    """For a `Long` (offsets): near the data, at the edges, far beyond them, and not numbers."""
    return st.one_of(
        st.integers(-3, 60),
        INT64_EDGES,
        huge_integers(),
        st.integers(-3, 60).map(str),
        ODD_DIGITS,
        st.floats(allow_nan=False, allow_infinity=False),
        TEXT,
        st.booleans(),
    )


def datetimes() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.datetimes(timezones=st.timezones() | st.none()).map(lambda d: d.isoformat()),
        st.sampled_from(
            [
                "0001-01-01T00:00:00Z",
                "9999-12-31T23:59:59.999999+14:00",
                "1970-01-01T00:00:00Z",
                "2026-02-30T00:00:00Z",
                "2026-11-25T12:00:00+25:00",
                "+10000-01-01T00:00:00Z",
                "-0001-01-01T00:00:00Z",
                "2026-11-25",
                "\uff12\uff10\uff12\uff16-\uff11\uff11-\uff12\uff15T00:00:00Z",  # fullwidth digits
                "2026-11-25T12:00:00.123456789Z",
                "now",
            ]
        ),
        st.integers(-(2**63), 2**63),
        huge_integers(),
        TEXT,
    )


def json_values(max_leaves: int = 12) -> st.SearchStrategy[Any]:
    """JSON values, with huge numbers, odd strings and (as raw text) deep nesting."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        huge_integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        TEXT,
    )
    deep = st.sampled_from([64, 255, 256, 1000, 5000]).map(
        lambda depth: RawJSON("[" * depth + "]" * depth)
    )

    def containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4)

    nested = st.recursive(scalars, containers, max_leaves=max_leaves)
    return st.one_of(nested, deep)


def cursors(valid: list[str], topics: list[str]) -> st.SearchStrategy[Any]:
    """Cursors the gateway made, and every way of altering one; and things that are not
    cursors at all."""
    offsets = st.one_of(st.integers(-3, 60), INT64_EDGES, huge_integers(), ODD_DIGITS, TEXT)

    def forged(topic: str, positions: dict[str, Any], version: Any) -> str:
        document = encode_json({"v": version, "t": topic, "p": positions})
        return base64.urlsafe_b64encode(document.encode("utf-8", "surrogatepass")).decode()

    forgeries = st.builds(
        forged,
        st.sampled_from(topics) | TEXT,
        st.dictionaries(st.one_of(st.sampled_from(["0", "1", "2", "-1"]), ODD_DIGITS), offsets),
        st.sampled_from([1, 2, "1", None]),
    )
    random_bytes = st.binary(max_size=64).map(lambda b: base64.urlsafe_b64encode(b).decode())
    strategies: list[st.SearchStrategy[Any]] = [forgeries, random_bytes, TEXT, st.integers()]
    if valid:
        made = st.sampled_from(valid)
        strategies += [made, made, made.map(lambda c: c[:-2]), made.map(lambda c: c + "==")]
    return st.one_of(*strategies)


@dataclass(frozen=True)
class RawRecord:
    """A record as another Kafka producer may write it: any bytes."""

    value: bytes | None
    key: bytes | None = None
    headers: tuple[tuple[str, bytes | None], ...] = ()
    timestamp_ms: int | None = None

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Short, for hypothesis' reports: long values and many headers are summed up."""
        value = (
            self.value
            if self.value is None or len(self.value) <= 80
            else (f"<{len(self.value)} bytes: {self.value[:40]!r}...>")
        )
        headers: Any = self.headers
        if len(self.headers) > 5:
            headers = f"<{len(self.headers)} headers: {self.headers[:2]!r}...>"
        printer.text(
            f"RawRecord(value={value!r}, key={self.key!r}, headers={headers!s}, "
            f"timestamp_ms={self.timestamp_ms!r})"
        )


def _json_bytes(value: Any) -> bytes:
    return encode_json(value).encode("utf-8", "surrogatepass")


def record_values(valid: list[bytes]) -> st.SearchStrategy[bytes | None]:
    """Values: tombstones, any bytes, text that is not JSON, JSON beyond the integer-digit and
    recursion limits, numbers beyond float, and (for typed topics) values that fit, or nearly."""
    depth = st.sampled_from([100, 1000, 100_000])
    special = st.one_of(
        st.sampled_from([4301, 5000, 50_000, 500_000]).map(lambda n: b'{"n": ' + b"9" * n + b"}"),
        depth.map(lambda n: b"[" * n + b"]" * n),
        depth.map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
        st.sampled_from(
            [
                b"1e400",
                b"-1e400",
                b"NaN",
                b"[Infinity]",
                b'{"a": 1, "a": 2}',
                b"\xef\xbb\xbf{}",
                b'"\\ud800"',
                b"\x00\x00\x00\x00\x01\x02",  # the Confluent framing, an unknown schema id
                b"",
                b"null",
            ]
        ),
        st.sampled_from([100_000, 900_000]).map(lambda n: b"x" * n),
    )
    strategies: list[st.SearchStrategy[bytes | None]] = [
        st.none(),
        st.binary(max_size=64),
        st.binary(max_size=32).map(lambda b: b"\xff\xfe" + b),
        TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")),
        json_values().map(_json_bytes),
        special,
    ]
    if valid:
        made = st.sampled_from(valid)
        strategies += [made, made, made.map(lambda v: v[:-1]), made.map(lambda v: v + b"\x00")]
    return st.one_of(*strategies)


def records(valid: list[bytes], tenant_header: str = "tenant") -> st.SearchStrategy[RawRecord]:
    header_keys = st.one_of(st.text(max_size=12), st.just(tenant_header), st.just(""))
    header_values = st.one_of(st.none(), st.binary(max_size=24), st.just(b"acme"))
    few = st.lists(st.tuples(header_keys, header_values), max_size=5)
    many = st.sampled_from([1000, 20_000]).map(lambda n: [("h", b"v")] * n)
    # A tombstone has a key (aiokafka writes no record that has neither).
    return st.builds(
        lambda value, key, headers, timestamp_ms: RawRecord(
            value, b"" if value is None and key is None else key, headers, timestamp_ms
        ),
        value=record_values(valid),
        key=st.one_of(
            st.none(),
            st.binary(max_size=24),
            TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")),
        ),
        headers=st.one_of(few, few, few, many).map(tuple),
        timestamp_ms=st.one_of(
            st.none(),
            st.sampled_from([0, 1, 253_402_300_799_999, 253_402_300_800_000, 2**62, 2**63 - 1]),
        ),
    )
