"""`oneOf` and `anyOf` in a JSON Schema -> the neutral type model: the one option beside `null`
(a nullable type), or a union of objects told apart by a discriminator, a property required in
every member with a distinct `const` in each. Part of json_schema.py's walk."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kafka_graphql.core.typed.model import Kind, ObjectKind, UnionKind, UnionMember, UnionType
from kafka_graphql.core.typed.names import pascal

if TYPE_CHECKING:  # the walker calls these
    from kafka_graphql.core.typed.json_schema import Walker


def alternatives(
    walker: Walker, node: Mapping[str, Any], keyword: str, pointer: str, hint: str
) -> tuple[Kind, bool]:
    """The kind of `node`, whose `keyword` (oneOf or anyOf) lists the options, and whether null
    is allowed."""
    options: list[tuple[Mapping[str, Any], str, str]] = []  # (node, pointer, name hint)
    nullable = False
    for i, option in enumerate(node[keyword]):
        where = f"{pointer}/{keyword}/{i}"
        resolved, resolved_pointer, name = option, where, hint
        if isinstance(option, dict) and "$ref" in option:
            resolved, resolved_pointer = walker.resolve(option["$ref"], where)
            name = resolved.get("title") or pascal(resolved_pointer.rsplit("/", 1)[-1])
        if isinstance(resolved, dict) and resolved.get("type") == "null":
            nullable = True
        else:
            options.append((resolved, resolved_pointer, name))
    if len(options) == 1:
        (option, where, name) = options[0]
        kind, inner_nullable = walker.kind(option, where, name)
        return kind, nullable or inner_nullable
    return _union(walker, node, keyword, pointer, hint, options), nullable


def _union(
    walker: Walker,
    node: Mapping[str, Any],
    keyword: str,
    pointer: str,
    hint: str,
    options: list[tuple[Mapping[str, Any], str, str]],
) -> UnionKind:
    where = f"{pointer}/{keyword}"
    if not all(isinstance(o, dict) and o.get("properties") for o, _, _ in options):
        walker.fail(where, f'"{keyword}" of anything but objects is not supported')
    discriminator = _discriminator([o for o, _, _ in options])
    if discriminator is None:
        walker.fail(
            where,
            f'"{keyword}" of objects needs a discriminator: a property required in every '
            "member with a distinct `const` value in each",
        )
    name = node.get("title") or hint
    walker.check_type_name(name, pointer)
    members = []
    for option, option_pointer, option_hint in options:
        tag = _const(option["properties"][discriminator])
        assert tag is not None
        member_hint = option_hint if option_hint != hint else name + pascal(str(tag))
        kind, _ = walker.kind(option, option_pointer, member_hint)
        assert isinstance(kind, ObjectKind)
        members.append(UnionMember(kind.name, tag))
    union = UnionType(name, tuple(members), discriminator, node.get("description"))
    walker.catalog.add(union, pointer)
    walker.kinds[pointer] = UnionKind(name)
    return UnionKind(name)


def _const(node: object) -> str | int | None:
    if not isinstance(node, dict):
        return None
    if "const" in node:
        value = node["const"]
    elif isinstance(node.get("enum"), list) and len(node["enum"]) == 1:
        value = node["enum"][0]
    else:
        return None
    return value if isinstance(value, str | int) and not isinstance(value, bool) else None


def _discriminator(options: list[Mapping[str, Any]]) -> str | None:
    """A property required in every member whose constant value differs between members."""
    for prop in options[0]["properties"]:
        tags = [_const(o["properties"].get(prop)) for o in options]
        required = all(prop in o.get("required", ()) for o in options)
        if required and None not in tags and len(set(tags)) == len(tags):
            return str(prop)
    return None
