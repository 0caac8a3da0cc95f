"""A plain-text rendering of a TypeModel, for tests and for reading what a schema became.

Deliberately not SDL: it shows the model's own vocabulary (kinds, nullability, tags).
"""

from __future__ import annotations

from kafka_graphql.core.typed.model import (
    EnumKind,
    EnumType,
    Kind,
    ListKind,
    ObjectKind,
    ObjectType,
    ScalarKind,
    TypeModel,
    UnionKind,
    UnionType,
)


def kind_text(kind: Kind) -> str:
    match kind:
        case ScalarKind(scalar):
            return scalar.value
        case EnumKind(name) | ObjectKind(name) | UnionKind(name):
            return name
        case ListKind(of, items_nullable):
            return f"[{kind_text(of)}{'' if items_nullable else '!'}]"


def snapshot(model: TypeModel) -> str:
    """One block per named type, in the order the loader met them, root first."""
    lines = [f"root {model.root}"]
    for named in model.types:
        doc = f"  # {named.description}" if named.description else ""
        match named:
            case ObjectType(name, fields):
                lines.append(f"object {name}{doc}")
                for f in fields:
                    text = f"  {f.name}: {kind_text(f.kind)}{'' if f.nullable else '!'}"
                    if f.deprecation:
                        text += f" @deprecated({f.deprecation})"
                    if f.has_default:
                        text += " = default"
                    if f.kept:
                        text += " kept"
                    if f.description:
                        text += f"  # {f.description}"
                    lines.append(text)
            case EnumType(name, values):
                lines.append(f"enum {name}: {' | '.join(values)}{doc}")
            case UnionType(name, members, discriminator):
                on = f" on {discriminator}" if discriminator else " on branch"
                tags = " | ".join(f"{m.type_name}={m.tag!r}" for m in members)
                lines.append(f"union {name}{on}: {tags}{doc}")
    return "\n".join(lines) + "\n"
