"""The building blocks of the settings tables: the base every table derives from, and the kinds
of value several tables share (a scope, a "Type.field", an environment variable's name, a file
named relative to the configuration file, a choice among words).

A table checks its types and bounds whenever it is made; the checks that read files, the
environment or other keys run when a configuration is loaded (inside `loading_with`), as they
did before the model was pydantic's: a test may build an `AuthSettings` without a key source to
exercise the verifier alone.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    ValidationError,
)
from pydantic_core import InitErrorDetails, PydanticCustomError, core_schema


@dataclass(frozen=True, slots=True)
class Loading:
    """A configuration being loaded: the folder relative file names resolve against (None: the
    working directory) and the environment secrets are read from."""

    base_dir: Path | None = None
    environ: Mapping[str, str] = field(default_factory=dict)


# Set while a configuration is loaded. Not pydantic's validation context: `Settings` is a
# BaseSettings, whose own __init__ pydantic calls to validate it, without that context.
_LOADING: ContextVar[Loading | None] = ContextVar("kafka_graphql_settings_loading", default=None)


@contextmanager
def loading_with(context: Loading) -> Iterator[None]:
    """Validate with the checks that run when a configuration is loaded."""
    token = _LOADING.set(context)
    try:
        yield
    finally:
        _LOADING.reset(token)


def loading() -> Loading | None:
    """The configuration being loaded, or None when a table is made directly."""
    return _LOADING.get()


def problem(text: str, quoted_text: str | None = None) -> PydanticCustomError:
    """A problem whose `text` says `{key}` where the key at fault goes (`quoted_text`: how a
    mapping key error reads where the mapping's keys are written quoted)."""
    context = {"text": text} if quoted_text is None else {"text": text, "quoted_text": quoted_text}
    return PydanticCustomError("settings", "{text}", context)


def refuse(table: str, found: Iterable[tuple[tuple[str | int, ...], str]]) -> None:
    """Raise every problem `found` at once: (location inside the table, text with `{key}`).
    A ValidationError raised by a validator joins the errors of the whole validation, each
    located under the table, where one ValueError would stop at the first problem."""
    details = [InitErrorDetails(type=problem(text), loc=loc, input=None) for loc, text in found]
    if details:
        raise ValidationError.from_exception_data(table, details)


class Table(BaseModel):
    """A table of the configuration: immutable, strict (`"8000"` is not a port, `1` is not
    `true`), with no key it does not know, each key's meaning in its docstring."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", strict=True, use_attribute_docstrings=True
    )


class Kind:
    """A kind of string value: what the docs call it, and what validating one checks (or
    changes, for a file name)."""

    def label(self) -> str:
        raise NotImplementedError

    def validate(self, value: str) -> str:
        raise NotImplementedError

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.validate, handler(source))


@dataclass(frozen=True, slots=True)
class Matching(Kind):
    """A string `check` accepts; else `text` (`quoted_text` for a key where keys are written
    quoted), followed by the value unless it is a mapping's key (the key path shows it)."""

    name: str
    check: Callable[[str], bool]
    text: str
    quoted_text: str | None = None

    def label(self) -> str:
        return self.name

    def validate(self, value: str) -> str:
        if not self.check(value):
            if self.quoted_text is not None:
                raise problem(self.text, self.quoted_text)
            raise problem(f"{self.text}, got {value!r}")
        return value


@dataclass(frozen=True, slots=True)
class OneOf(Kind):
    """A string that must be one of `choices` (listed in the message and the docs)."""

    choices: tuple[str, ...]

    def label(self) -> str:
        return "one of " + ", ".join(f"`{choice}`" for choice in self.choices)

    def validate(self, value: str) -> str:
        if value not in self.choices:
            raise problem(f"{{key}} must be one of {', '.join(self.choices)}; got {value!r}")
        return value


@dataclass(frozen=True, slots=True)
class RelativeFile(Kind):
    """A file name: a relative one resolves against the configuration file's folder when a
    configuration is loaded (the working directory for settings given as a mapping); `keep`:
    values that name no file."""

    keep: tuple[str, ...] = ()

    def label(self) -> str:
        return " or ".join(["file path", *(f'`"{value}"`' for value in self.keep)])

    def validate(self, value: str) -> str:
        context = loading()
        if context is None or value in self.keep:
            return value
        return os.path.normpath((context.base_dir or Path.cwd()) / os.path.expanduser(value))


def _matches(pattern: str) -> Callable[[str], bool]:
    return lambda value: re.fullmatch(pattern, value) is not None


_GRAPHQL_NAME = r"[_A-Za-z][_0-9A-Za-z]*"

# A scope as a token's `scope` claim carries it (space-separated): one word, no blanks.
Scope = Annotated[str, Matching("scope", _matches(r"\S+"), "{key} must be a scope without spaces")]
# A field of a GraphQL type: the keys of cost weights, field scopes, masks and deprecations.
TypeField = Annotated[
    str,
    Matching(
        '`"Type.field"`',
        _matches(rf"{_GRAPHQL_NAME}\.{_GRAPHQL_NAME}"),
        '{key} must be "Type.field"',
        "{key} must name a field as Type.field",
    ),
]
EnvName = Annotated[
    str,
    Matching(
        "environment variable name",
        _matches(r"[A-Za-z_][A-Za-z0-9_]*"),
        "{key} must name an environment variable (letters, digits and underscores)",
    ),
]
NotBlank = Annotated[
    str, Matching("string, not empty", lambda s: bool(s.strip()), "{key} must not be empty")
]
ConfigFile = Annotated[str, RelativeFile()]

# Counts, sizes and rates where 0 (or less) would refuse everything or mean nothing.
Positive = Annotated[int, Field(gt=0)]
PositiveNumber = Annotated[float, Field(gt=0, allow_inf_nan=False)]
