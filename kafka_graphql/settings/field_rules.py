"""The field-level authorization keys: their shape, and what they need.

`[auth] field_scopes` guards fields of the generic API; a typed topic's `field_scopes` and `mask`
guard and mask fields of its value types. Their keys are "Type.field" and their values scopes
(settings/fields.py), checked with every other key's type; whether the types and fields they
name exist is checked at start-up, once the topics' schemas are loaded (auth/field_rules.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from pydantic import Strict

from kafka_graphql.settings.fields import Scope, TypeField

# "Type.field" -> scopes of which a caller needs one to select the field (an @auth directive).
FieldScopes = Mapping[TypeField, Annotated[tuple[Scope, ...], Strict(False)]]
# "Type.field" -> the scope without which the field is null (masked).
FieldMasks = Mapping[TypeField, Scope]

FIELD_RULE_KEYS = ("field_scopes", "mask")


def field_rule_problems(
    field_scopes: FieldScopes, mask: FieldMasks, typed: bool, has_auth: bool
) -> list[str]:
    """What a topic's `field_scopes` and `mask` need (`{key}`: `topics[i]`)."""
    found: list[str] = []
    for name, value in zip(FIELD_RULE_KEYS, (field_scopes, mask), strict=True):
        if not value:
            continue
        if not has_auth:
            # Authorization without authentication would only look like protection.
            found.append(f"{{key}}.{name} needs an [auth] table")
        elif not typed:
            found.append(
                f"{{key}}.{name} needs {{key}}.type: it names the typed topic's own types (the "
                "generic API's fields are guarded by auth.field_scopes)"
            )
    return found
