"""The records of a v3 produce stream: a body of concatenated JSON objects (whitespace between
them, or none), cut into one object's text at a time as its bytes arrive, each then read by the
strict reader (http/strict_json.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import StreamReader

from kafka_graphql.rest.errors import RestError

WHITESPACE = b" \t\r\n"


class RecordCutter:
    """Finds where each top-level JSON object ends in the bytes fed to it, in one pass over
    them (a string's braces and escapes skipped)."""

    __slots__ = ("_buffer", "_depth", "_escaped", "_in_string", "_scanned", "limit")

    def __init__(self, limit: int) -> None:
        # The most bytes one record may take.
        self.limit = limit
        self._buffer = bytearray()
        self._scanned = 0
        self._depth = 0
        self._in_string = False
        self._escaped = False

    def feed(self, data: bytes) -> list[bytes]:
        """The records `data` completes, in order."""
        self._buffer += data
        done: list[bytes] = []
        index = self._scanned
        buffer = self._buffer
        while index < len(buffer):
            byte = buffer[index]
            index += 1
            if self._in_string:
                if self._escaped:
                    self._escaped = False
                elif byte == 0x5C:  # backslash
                    self._escaped = True
                elif byte == 0x22:  # quote
                    self._in_string = False
            elif self._depth == 0 and byte in WHITESPACE:
                del buffer[:index]
                index = 0
            elif byte == 0x22:
                self._in_string = True
            elif byte in (0x7B, 0x5B):  # { [
                self._depth += 1
            elif byte in (0x7D, 0x5D):  # } ]
                self._depth -= 1
                if self._depth == 0:
                    done.append(bytes(buffer[:index]))
                    del buffer[:index]
                    index = 0
            elif self._depth == 0:
                raise RestError(400, "each record must be a JSON object (`{...}`)")
        self._scanned = index
        if len(buffer) > self.limit:
            raise RestError(
                413, f"a record takes at most {self.limit} bytes (limits.max_request_bytes)"
            )
        return done

    def end(self) -> None:
        """The body has ended: RestError if it ended inside a record."""
        if self._buffer.strip(WHITESPACE):
            raise RestError(400, "the body ended inside a record (a JSON object left unclosed)")


async def record_texts(content: StreamReader, limit: int) -> AsyncIterator[bytes]:
    """Each record's JSON text as soon as its last byte has arrived."""
    cutter = RecordCutter(limit)
    async for chunk in content.iter_any():
        for text in cutter.feed(chunk):
            yield text
    cutter.end()
