"""pydantic's validation errors as the gateway's messages: one line per problem, naming its key as
the file writes it (`topics[2].records.claim`, `limits.cost_weights."Query.topics"`), and the
environment variable it came from when it came from one.

The tables' own checks raise `problem(...)` texts in which `{key}` stands for the key at fault;
pydantic's own errors (types, bounds, unknown keys) are worded here.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

import annotated_types
from pydantic import BaseModel, SecretStr, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

Loc = tuple[str | int, ...]

_TYPE_WORDS = {
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be an integer",
    "bool_type": "must be of type bool",
    "bool_parsing": "must be of type bool",
    "float_type": "must be of type float",
    "float_parsing": "must be of type float",
    "finite_number": "must be a finite number",
    "tuple_type": "must be an array",
    "list_type": "must be an array",
    "dict_type": "must be a table",
    "mapping_type": "must be a table",
    "model_type": "must be a table",
    "model_attributes_type": "must be a table",
}
_BOUNDS = ("greater_than", "greater_than_equal", "less_than", "less_than_equal")


@dataclass(slots=True)
class Place:
    """What is known of the key at a location: how to write it, its type and its bounds."""

    text: str
    annotation: Any = None
    metadata: list[Any] = field(default_factory=list)
    in_mapping: bool = False
    quoted_key: bool = False
    secret: bool = False
    known: tuple[str, ...] = ()


def problems(
    error: ValidationError,
    model: type[BaseModel],
    prefix: str = "",
    origins: Mapping[Loc, str] | None = None,
) -> list[str]:
    """One line per error of `error`, raised validating `model` (written at `prefix`, "" for the
    whole file); `origins` names the environment variable that set a location, if one did."""
    return [_line(details, model, prefix, origins or {}) for details in error.errors()]


def _line(
    details: ErrorDetails, model: type[BaseModel], prefix: str, origins: Mapping[Loc, str]
) -> str:
    loc = tuple(details["loc"])
    key_error = loc[-1:] == ("[key]",)
    place = locate(model, loc[:-2] if key_error else loc, prefix)
    key = place.text or "configuration"
    variable = next((origins[loc[:n]] for n in range(len(loc), 0, -1) if loc[:n] in origins), None)
    if variable is not None:
        key = f"{variable} ({key})"
    kind = details["type"]
    context = details.get("ctx") or {}
    if key_error:
        quoted = locate(model, loc[:-1]).quoted_key
        shown = f'"{loc[-2]}"' if quoted else repr(loc[-2])
        text = context.get("quoted_text" if quoted else "text", "{key} is not valid")
        return str(text).replace("{key}", f"{key} key {shown}")
    if kind == "settings":
        return str(context["text"]).replace("{key}", key)
    if kind == "extra_forbidden":
        return f"unknown configuration key {key}{_suggestion(model, loc, prefix)}"
    if kind == "missing":
        return f"{key} is required"
    if kind == "string_type":
        words = "must be a string" if place.in_mapping else "must be of type str"
    elif kind in _BOUNDS:
        words = "must " + (describe_bounds(place.metadata) or "be in range")
    else:
        words = _TYPE_WORDS.get(kind, details["msg"])
    if place.secret or kind in ("tuple_type", "list_type", "dict_type", "model_type"):
        return f"{key} {words}"
    return f"{key} {words}, got {details['input']!r}"


def locate(model: type[BaseModel], loc: Loc, prefix: str = "") -> Place:
    """Walk `model`'s annotations along `loc`."""
    place = Place(prefix, model)
    for step in loc:
        annotation = _unwrap(place)
        place.metadata, place.in_mapping, place.secret = [], False, False
        origin = typing.get_origin(annotation)
        if isinstance(step, int) and origin is tuple:
            place.text += f"[{step}]"
            place.annotation = typing.get_args(annotation)[0]
        elif origin in (dict, Mapping):
            value = typing.get_args(annotation)[1]
            place.quoted_key = _strip(value) is int
            place.text += f'."{step}"' if place.quoted_key else f".{step}"
            place.annotation, place.in_mapping = value, True
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            fields = annotation.model_fields
            place.known = tuple(name for name, info in fields.items() if not info.exclude)
            place.text += f".{step}" if place.text else str(step)
            info = fields.get(str(step))
            place.annotation = info.annotation if info else None
            place.metadata = list(info.metadata) if info else []
        else:
            place.text += f".{step}"
            place.annotation = None
    _unwrap(place)
    return place


def _unwrap(place: Place) -> Any:
    """The annotation without `Annotated` (its metadata kept) and without `| None`."""
    annotation = place.annotation
    while True:
        if typing.get_origin(annotation) is Annotated:
            annotation, *metadata = typing.get_args(annotation)
            place.metadata.extend(metadata)
        elif typing.get_origin(annotation) in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = options[0] if len(options) == 1 else annotation
            if len(options) != 1:
                break
        else:
            break
    place.secret = place.secret or annotation is SecretStr
    place.annotation = annotation
    return annotation


def unwrapped(annotation: Any) -> Place:
    """`annotation` alone: its `Annotated` metadata, its type without `| None`."""
    place = Place("", annotation)
    _unwrap(place)
    return place


def _strip(annotation: Any) -> Any:
    return unwrapped(annotation).annotation


def _suggestion(model: type[BaseModel], loc: Loc, prefix: str) -> str:
    """` (did you mean server.port?)` for `server.prot`, when a known key is close."""
    table = locate(model, loc[:-1], prefix)
    close = difflib.get_close_matches(str(loc[-1]), locate(model, loc, prefix).known, n=1)
    if not close:
        return ""
    return f" (did you mean {table.text + '.' if table.text else ''}{close[0]}?)"


def bounds(metadata: list[Any]) -> dict[str, float]:
    """The numeric bounds among `metadata` (Field(gt=...), annotated_types.Ge(...)...)."""
    found: dict[str, float] = {}
    for item in metadata:
        if isinstance(item, FieldInfo):  # Annotated[int, Field(ge=0)]
            found.update(bounds(item.metadata))
        for name in ("gt", "ge", "lt", "le"):
            value = getattr(item, name, None)
            if isinstance(item, annotated_types.BaseMetadata) and isinstance(value, int | float):
                found[name] = value
    return found


def describe_bounds(metadata: list[Any]) -> str | None:
    """`be in 0..65535`, `be in (0, 300]`, `be positive`, `not be negative`, or None."""
    found = bounds(metadata)
    low_open, low = ("gt", found["gt"]) if "gt" in found else ("ge", found.get("ge"))
    high = found.get("le", found.get("lt"))
    if low is not None and high is not None:
        if low_open == "ge" and "le" in found:
            return f"be in {_number(low)}..{_number(high)}"
        left = "(" if low_open == "gt" else "["
        right = "]" if "le" in found else ")"
        return f"be in {left}{_number(low)}, {_number(high)}{right}"
    if low == 0:
        return "be positive" if low_open == "gt" else "not be negative"
    if low is not None:
        return f"be {'more than' if low_open == 'gt' else 'at least'} {_number(low)}"
    if high is not None:
        return f"be {'at most' if 'le' in found else 'less than'} {_number(high)}"
    return None


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
