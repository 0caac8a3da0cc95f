"""A dotted value path (`customer.tenantId`) checked against a typed topic's model.

Record-level rules compare the value at a path with a token claim, which is a string, so the path
must lead through object fields (not lists or unions: which item would it be?) to one field that
holds text or a whole number.
"""

from __future__ import annotations

from collections.abc import Sequence

from kafka_graphql.core.typed.model import (
    EnumKind,
    ObjectKind,
    ObjectType,
    Scalar,
    ScalarKind,
    TypeModel,
)

# A claim is a string: these compare with it by their text (an enum value is its name, a whole
# number its decimal digits). A float, boolean, date or blob would only match by accident.
CLAIM_SCALARS = frozenset({Scalar.STRING, Scalar.INT, Scalar.LONG})


def claim_path_problem(model: TypeModel, path: Sequence[str]) -> str | None:
    """Why `path` cannot hold a claim in values of `model`'s root type; None when it can."""
    object_type: ObjectType = model.root_type
    for depth, name in enumerate(path):
        at = ".".join(path[: depth + 1])
        found = object_type.field(name)
        if found is None:
            return f"{object_type.name} has no field {name!r} (at {at})"
        if found.kept:
            return f"{at} is a field the schema dropped (kept by `deprecated`): it is never written"
        last = depth == len(path) - 1
        kind = found.kind
        if not last:
            if not isinstance(kind, ObjectKind):
                return f"{at} is not an object, so it has no field {path[depth + 1]!r}"
            named = model.type(kind.name)
            assert isinstance(named, ObjectType)
            object_type = named
        elif isinstance(kind, EnumKind):
            return None
        elif not (isinstance(kind, ScalarKind) and kind.scalar in CLAIM_SCALARS):
            return f"{at} must be a String, Int, Long or enum field to hold a claim"
    return None
