"""A typed topic's values at the edge: checked and encoded on the way in, decoded on the way out.

A record that does not decode or validate is never an error: it comes out with no value and the
reasons, so that a bad record never breaks a page or a stream.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Set
from dataclasses import dataclass

from kafka_graphql.core.auth.field_masks import FieldView, ValueMasker
from kafka_graphql.core.auth.field_rules import FieldRules
from kafka_graphql.core.errors import BadUserInput, GatewayError, InvalidValue
from kafka_graphql.core.items import Item
from kafka_graphql.core.typed.codecs import UndecodableValue, WriterSchemaNeeded
from kafka_graphql.core.typed.problems import Problem
from kafka_graphql.core.typed.topic import TypedTopic
from kafka_graphql.kafka import Record

TOO_DEEP = "the value is nested too deeply to be read with the topic's schema"
# Decoded values kept per topic: a record read by many subscribers (and by their filters) is
# decoded once. Kafka never changes a record at an offset, so a hit is always right.
CACHE_SIZE = 10_000


@dataclass(frozen=True, slots=True)
class Decoded:
    # The plain value (JSON-like), or None when it does not decode or validate.
    value: object
    errors: tuple[str, ...] = ()


class TypedRecords:
    def __init__(self, topic: TypedTopic, rules: FieldRules | None = None) -> None:
        self.topic = topic
        self.masker = ValueMasker(topic.model, rules or FieldRules())
        self._cache: OrderedDict[tuple[int, int, int], Decoded] = OrderedDict()

    def view(self, scopes: Set[str]) -> FieldView:
        """What a caller with these scopes may see of this topic's values."""
        return self.masker.view(scopes)

    def encode(self, value: object, item: Item | None = None) -> bytes:
        """The bytes to write, or BAD_USER_INPUT naming the bad field as a path."""
        problems = self.topic.validator.validate(value)
        if problems:
            raise _refusal(problems, item)
        try:
            return self.topic.codec.encode(value)
        except BadUserInput as error:
            raise _refusal(
                [(p["path"], p["message"]) for p in error.extensions.get("problems", [])]
                or [([], error.message)],
                item,
            ) from None

    async def check_raw(self, data: bytes, item: Item | None = None) -> object:
        """Bytes to be written as they are (a REST binary record): their plain value when they
        are a value of the topic's format and schema; InvalidValue otherwise."""
        try:
            plain = await self.topic.codec.decode(data)
        except UndecodableValue as error:
            raise _refusal([([], f"not a value of the topic's format ({error})")], item) from None
        except RecursionError:
            raise _refusal([([], TOO_DEEP)], item) from None
        if self.topic.rule.format == "json":
            problems = self.topic.validator.validate(plain)
            if problems:
                raise _refusal(problems, item)
        return plain

    def decode_now(self, record: Record) -> Decoded | None:
        """The record's value without waiting; None when the registry must be asked first."""
        key = (record.partition, record.offset, record.timestamp_ms)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        if record.raw_value is None:
            return self._keep(key, Decoded(None, ("the record has no value (a tombstone)",)))
        try:
            plain = self.topic.codec.decode_now(record.raw_value)
            decoded = self.validated(plain)
        except WriterSchemaNeeded:
            return None
        except UndecodableValue as error:
            decoded = Decoded(None, (str(error),))
        except RecursionError:
            # A value nested deeper than the validator (or a recursive schema's reader) can
            # follow: a reason like any other, never an error of the page or the feed.
            decoded = Decoded(None, (TOO_DEEP,))
        return self._keep(key, decoded)

    async def decode(self, record: Record) -> Decoded:
        decoded = self.decode_now(record)
        if decoded is not None:
            return decoded
        assert record.raw_value is not None
        try:
            await self.topic.codec.decode(record.raw_value)
        except UndecodableValue as error:
            return Decoded(None, (str(error),))
        except GatewayError as error:
            # The registry did not know the id or did not answer: not cached, so a later read
            # of the same record tries again.
            return Decoded(None, (f"writer schema: {error.message}",))
        # The writer schema is cached now.
        decoded = self.decode_now(record)
        assert decoded is not None
        return decoded

    def validated(self, plain: object) -> Decoded:
        """`plain` (read with the topic's format) as a value of the topic's schema."""
        if self.topic.rule.format != "json":
            # Avro bytes that decode with the topic's schema are valid by construction.
            return Decoded(plain)
        # Kept fields are the gateway's to serve, not the schema's to refuse (core/typed/kept.py).
        kept = self.topic.kept
        problems = self.topic.validator.validate(kept.stripped(plain) if kept else plain)
        if problems:
            return Decoded(None, tuple(problem_text(p) for p in problems))
        return Decoded(plain)

    def _keep(self, key: tuple[int, int, int], decoded: Decoded) -> Decoded:
        self._cache[key] = decoded
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return decoded


def problem_text(problem: Problem) -> str:
    path, message = problem
    return f"{'.'.join(map(str, path))}: {message}" if path else message


def _refusal(problems: list[Problem], item: Item | None) -> InvalidValue:
    path = problems[0][0]
    where = f"{item}.value" if item is not None else "value"
    text = f"{where} does not match the topic's schema: {problem_text(problems[0])}"
    extensions: dict[str, object] = {
        "path": list(path),
        "problems": [{"path": list(p), "message": m} for p, m in problems],
    }
    if item is not None:
        extensions["index"] = item.index
    return InvalidValue(text, **extensions)
