"""Record batches whose header names are not UTF-8 still read.

Kafka's protocol calls a header name a string, but any producer can write any bytes there (the
broker does not check them, and librdkafka takes a length and bytes). aiokafka decodes names
strictly, so such a record raises UnicodeDecodeError inside its fetcher: every later fetch of the
partition raises it again from the same offset, and the records of the fetch before it are lost
to the caller. One record would stop every reader of the partition for good.

`install()` gives aiokafka's fetcher batches that read as aiokafka's own do (its fast parser, as
long as every name decodes) and, for a batch where one does not, read again here, where a name
that is not UTF-8 stays `bytes` (reader.py's `to_record` delivers it as base64).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import aiokafka.consumer.fetcher
from aiokafka.codec import gzip_decode, lz4_decode, snappy_decode, zstd_decode
from aiokafka.errors import CorruptRecordException
from aiokafka.record.default_records import DefaultRecordBatch
from aiokafka.record.legacy_records import LegacyRecordBatch
from aiokafka.record.util import decode_varint

# The first bytes of every batch, in every message format: base offset, length, then (v2) the
# partition leader epoch and the magic byte (v0/v1: the CRC, then the magic byte).
_LENGTH = struct.Struct(">q i")
_LOG_OVERHEAD = _LENGTH.size
_MAGIC_AT = 16
# A v2 batch's header is 61 bytes; its records (compressed or not) follow.
_V2_HEADER_SIZE = 61
_CODEC_MASK = 0x07
_DECOMPRESS = {1: gzip_decode, 2: snappy_decode, 3: lz4_decode, 4: zstd_decode}
_LOG_APPEND_TIME = 1


@dataclass(frozen=True, slots=True)
class LenientRecord:
    """What aiokafka's fetcher reads of a record (its DefaultRecord's attributes)."""

    offset: int
    timestamp: int
    timestamp_type: int
    key: bytes | None
    value: bytes | None
    # A name is `bytes` when it is not UTF-8.
    headers: list[tuple[str | bytes, bytes | None]]
    checksum: None = None


class LenientBatch:
    """One v2 batch: aiokafka's, read eagerly; read again leniently if a name is not UTF-8."""

    __slots__ = ("_batch", "_data", "_records")

    def __init__(self, data: memoryview) -> None:
        self._data = data
        self._batch: Any = DefaultRecordBatch(data)
        self._records: Iterator[Any] | None = None

    def __getattr__(self, name: str) -> Any:
        # base_offset, next_offset, producer_id, is_control_batch, validate_crc(), ...
        return getattr(self._batch, name)

    def __iter__(self) -> Iterator[Any]:
        if self._records is None:
            try:
                # Eagerly: a list of aiokafka's records is as fast to walk as its batch, and
                # a failure shows here, before any record of the batch was handed out.
                self._records = iter(list(self._batch))
            except UnicodeDecodeError:
                self._records = iter(read_leniently(bytes(self._data), self._batch))
        return self._records

    def __next__(self) -> Any:
        # The fetcher reads a control batch's one record with next().
        return next(iter(self))


class LenientMemoryRecords:
    """aiokafka's MemoryRecords (the batches of one fetch response), with lenient v2 batches."""

    def __init__(self, data: bytes) -> None:
        self._buffer = memoryview(data)
        self._pos = 0

    def size_in_bytes(self) -> int:
        return len(self._buffer)

    def _next_end(self) -> int | None:
        if len(self._buffer) - self._pos < _LOG_OVERHEAD:
            return None  # a partial batch at the end of a fetch: the fetcher reads it again
        _offset, length = _LENGTH.unpack_from(self._buffer, self._pos)
        end = self._pos + _LOG_OVERHEAD + length
        return end if end <= len(self._buffer) else None

    def has_next(self) -> bool:
        return self._next_end() is not None

    def next_batch(self) -> Any:
        end = self._next_end()
        if end is None:
            return None
        data = self._buffer[self._pos : end]
        self._pos = end
        if len(data) <= _MAGIC_AT:
            raise CorruptRecordException("a record batch is shorter than its header")
        magic = data[_MAGIC_AT]
        if magic >= 2:
            return LenientBatch(data)
        return LegacyRecordBatch(data, magic)


def read_leniently(data: bytes, batch: Any) -> list[LenientRecord]:
    """The records of a v2 batch (`data`, read by aiokafka as `batch`), names not decoded
    unless they are UTF-8. The record format: https://kafka.apache.org/documentation/#record"""
    body: bytes = data[_V2_HEADER_SIZE:]
    codec = batch.attributes & _CODEC_MASK
    if codec:
        body = _DECOMPRESS[codec](body)
    buffer = bytearray(body)
    records = []
    pos = 0
    while pos < len(buffer):
        length, pos = decode_varint(buffer, pos)
        end = pos + length
        pos += 1  # attributes: unused
        timestamp_delta, pos = decode_varint(buffer, pos)
        offset_delta, pos = decode_varint(buffer, pos)
        key, pos = _nullable_bytes(buffer, pos)
        value, pos = _nullable_bytes(buffer, pos)
        count, pos = decode_varint(buffer, pos)
        headers: list[tuple[str | bytes, bytes | None]] = []
        for _ in range(count):
            name, pos = _nullable_bytes(buffer, pos)
            header_value, pos = _nullable_bytes(buffer, pos)
            headers.append((_name(name or b""), header_value))
        if pos != end:
            raise CorruptRecordException("a record's length does not match its fields")
        timestamp = (
            batch.max_timestamp
            if batch.timestamp_type == _LOG_APPEND_TIME
            else batch.first_timestamp + timestamp_delta
        )
        records.append(
            LenientRecord(
                batch.base_offset + offset_delta,
                timestamp,
                batch.timestamp_type,
                key,
                value,
                headers,
            )
        )
    return records


def _nullable_bytes(buffer: bytearray, pos: int) -> tuple[bytes | None, int]:
    length, pos = decode_varint(buffer, pos)
    if length < 0:
        return None, pos
    if pos + length > len(buffer):
        raise CorruptRecordException("a record field runs past the end of its batch")
    return bytes(buffer[pos : pos + length]), pos + length


def _name(raw: bytes) -> str | bytes:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw


def install() -> None:
    """Make aiokafka's fetcher read fetch responses with LenientMemoryRecords (idempotent)."""
    aiokafka.consumer.fetcher.MemoryRecords = LenientMemoryRecords
