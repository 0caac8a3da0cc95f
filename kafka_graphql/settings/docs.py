"""docs/configuration.md's keys, generated from the model: `python -m kafka_graphql.settings.docs`
rewrites the part of the page between its two markers (the rest of the page is written by hand),
so every key, its type, default, environment variable and meaning is written once, in the model.
A unit test fails when the page is stale.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from kafka_graphql.settings.environment import ENVIRONMENT_ONLY, aliases_of, variable_of
from kafka_graphql.settings.fields import Kind
from kafka_graphql.settings.model import Settings
from kafka_graphql.settings.problems import Place, bounds, locate, unwrapped

COMMAND = "python -m kafka_graphql.settings.docs"
BEGIN = (
    f"<!-- Generated from the settings model by `{COMMAND}`: edit the descriptions in "
    "kafka_graphql/settings/ (and auth/, limits/), not this part of the page. -->"
)
END = "<!-- End of the generated part. -->"
PAGE = Path(__file__).parents[2] / "docs" / "configuration.md"

_SCALARS = {str: "string", int: "integer", float: "number", bool: "boolean"}


def keys_markdown() -> str:
    """Every table, then its keys: type, default, environment variable, meaning."""
    sections: list[str] = []
    for name, info in Settings.model_fields.items():
        place = locate(Settings, (name,))
        array = typing.get_origin(place.annotation) is tuple
        table = typing.get_args(place.annotation)[0] if array else place.annotation
        prefix = f"{name}[]" if array else name
        title = f"[[{name}]]" if array else f"[{name}]"
        # An array of tables comes from the environment whole, as JSON.
        whole = f". From the environment: `{variable_of(name)}`, a JSON array" if array else ""
        sections.append(_section(title, info, table, prefix, whole))
        if array:
            for key, child in table.model_fields.items():
                nested = locate(table, (key,)).annotation
                if isinstance(nested, type) and issubclass(nested, BaseModel):
                    sections.append(_section(f"{name}[].{key}", child, nested, f"{name}[].{key}"))
    return "\n".join(sections)


def _section(
    title: str, info: FieldInfo, table: type[BaseModel], prefix: str, more: str = ""
) -> str:
    intro = _text(info.description or "") + more
    intro = intro[:1].upper() + intro[1:]
    rows = [
        f"| `{prefix}.{key}` | {_type(place)} | {_default(child, place)} | "
        f"{_environment(prefix, key, place)} | {_text(child.description or '')} |"
        for key, child, place in _keys(table, prefix)
    ]
    return (
        f"### `{title}`\n\n{intro}.\n\n"
        "| key | type | default | environment | meaning |\n| --- | --- | --- | --- | --- |\n"
        + "\n".join(rows)
        + "\n"
    )


def _keys(table: type[BaseModel], prefix: str) -> Iterator[tuple[str, FieldInfo, Place]]:
    for key, child in table.model_fields.items():
        if not child.exclude:  # not a key of the file (auth.hs_secret)
            yield key, child, locate(table, (key,), prefix)


def _type(place: Place) -> str:
    annotation = place.annotation
    origin = typing.get_origin(annotation)
    for item in place.metadata:
        if isinstance(item, Kind):
            return item.label()
    if annotation is SecretStr:
        return "string (secret)"
    if origin is tuple:
        item = _type(unwrapped(typing.get_args(annotation)[0]))
        return f"array of {item}s" if item.isalpha() else f"array: {item}"
    if origin in (dict, Mapping):
        key, value = typing.get_args(annotation)
        return f"table: {_type(unwrapped(key))} → {_type(unwrapped(value))}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"table ([below](#{_anchor(place.text)}))"
    scalar = _SCALARS.get(annotation, str(annotation))
    limits = bounds(place.metadata)
    if "ge" in limits and "le" in limits:
        return f"{scalar} in {_number(limits['ge'])}..{_number(limits['le'])}"
    if "gt" in limits and "le" in limits:
        return f"{scalar} in ({_number(limits['gt'])}, {_number(limits['le'])}]"
    for name, sign in (("gt", ">"), ("ge", "≥"), ("lt", "<"), ("le", "≤")):
        if name in limits:
            return f"{scalar} {sign} {_number(limits[name])}"
    return scalar


def default_of(key: str) -> str:
    """How the page writes the default of `key` (`limits.max_page_size` -> `` `200` ``)."""
    table, name = key.split(".")
    model = locate(Settings, (table,)).annotation
    return _default(model.model_fields[name], locate(model, (name,)))


def _default(info: FieldInfo, place: Place) -> str:
    extra = info.json_schema_extra
    if isinstance(extra, dict) and "unset" in extra:
        return str(extra["unset"])
    if info.default_factory is not None:
        value: Any = info.default_factory()  # type: ignore[call-arg]
    elif info.default is PydanticUndefined:
        return "(required)"
    else:
        value = info.default
    if value is None:
        return "none"
    return f"`{_toml(value)}`"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f'"{k}" = {_toml(v)}' for k, v in value.items()) + "}"
    return _number(value) if isinstance(value, float) else str(value)


def _environment(prefix: str, key: str, place: Place) -> str:
    if "[" in prefix:
        return f"(in `{variable_of(prefix.split('[')[0])}`)"
    dotted = f"{prefix}.{key}"
    names = [f"`{variable_of(dotted)}`", *(f"`{alias}`" for alias in aliases_of(dotted))]
    text = ", ".join(names)
    if dotted in ENVIRONMENT_ONLY:
        text = f"environment only: {text}"
    if typing.get_origin(place.annotation) in (tuple, dict, Mapping):
        text += " (JSON)"
    return text


def _anchor(title: str) -> str:
    r"""The anchor GitHub gives a heading `### \`title\``."""
    return "".join(c for c in title.lower() if c.isalnum() or c in "-_")


def _text(description: str) -> str:
    return " ".join(description.split()).replace("|", "\\|")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def render(page: str) -> str:
    """`page` with its generated part made anew."""
    before, _, rest = page.partition(BEGIN)
    _, _, after = rest.partition(END)
    return f"{before}{BEGIN}\n\n{keys_markdown()}\n{END}{after}"


def main() -> None:
    PAGE.write_text(render(PAGE.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main()
