"""GraphQL-safe names for generated types, fields and enum values."""

from __future__ import annotations

import re

_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
# Enum values that GraphQL reserves for its own literals.
_RESERVED_ENUM_VALUES = {"true", "false", "null"}


def is_graphql_name(text: str) -> bool:
    """A valid GraphQL name that is not reserved for introspection (`__...`)."""
    return _NAME.fullmatch(text) is not None and not text.startswith("__")


def is_enum_value(text: str) -> bool:
    return is_graphql_name(text) and text not in _RESERVED_ENUM_VALUES


def pascal(text: str) -> str:
    """`shipping_address` / `shipping-address` / `shippingAddress` -> `ShippingAddress`."""
    parts = [p for p in re.split(r"[^0-9A-Za-z]+", text) if p]
    return "".join(p[:1].upper() + p[1:] for p in parts)
