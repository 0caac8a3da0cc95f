"""The typed part of a served SDL: what typed topics add to the generic API.

Snapshots keep only that part, so that each one reads as the API of its topics and does not change
when the generic API (docs/schema.graphql, checked by its own test) does.
"""

from __future__ import annotations

from graphql import parse
from graphql.language import DefinitionNode, FieldDefinitionNode, ObjectTypeDefinitionNode

ROOTS = ("Query", "Mutation", "Subscription")


def typed_part(sdl: str, generic_sdl: str) -> str:
    """`sdl` without the definitions and root fields that are the same in `generic_sdl`; the root
    types come first (where a reader starts), then the rest in the printer's order."""
    generic = {_name(d): _text(generic_sdl, d) for d in parse(generic_sdl).definitions}
    generic_fields = {
        d.name.value: {f.name.value for f in d.fields or ()}
        for d in parse(generic_sdl).definitions
        if isinstance(d, ObjectTypeDefinitionNode) and d.name.value in ROOTS
    }
    roots: dict[str, str] = {}
    others: list[str] = []
    for definition in parse(sdl).definitions:
        name = _name(definition)
        if isinstance(definition, ObjectTypeDefinitionNode) and name in ROOTS:
            fields = [
                f for f in definition.fields or () if f.name.value not in generic_fields[name]
            ]
            if fields:
                roots[name] = _root(sdl, name, fields)
        elif generic.get(name) != _text(sdl, definition):
            others.append(_text(sdl, definition))
    ordered = [roots[r] for r in ROOTS if r in roots] + others
    return "\n\n".join(ordered) + "\n"


def _name(definition: DefinitionNode) -> str:
    return str(definition.name.value)  # type: ignore[attr-defined]


def _text(sdl: str, definition: DefinitionNode) -> str:
    assert definition.loc is not None
    return sdl[definition.loc.start : definition.loc.end]


def _root(sdl: str, name: str, fields: list[FieldDefinitionNode]) -> str:
    """`type Name { ... }` with only `fields`, spaced as the printer spaces them (a blank line
    before a field with a description)."""
    lines = []
    for i, field in enumerate(fields):
        assert field.loc is not None
        line_start = sdl.rfind("\n", 0, field.loc.start) + 1
        text = sdl[line_start : field.loc.end]
        if i and field.description is not None:
            text = "\n" + text
        lines.append(text)
    return f"type {name} {{\n" + "\n".join(lines) + "\n}"
