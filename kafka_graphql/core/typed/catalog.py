"""Collects the named types a loader generates and refuses two different types under one name
(within one schema; across topics, graphql/schema/typed/clashes.py checks every generated name)."""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn

from kafka_graphql.core.typed.model import NamedType, TypeModel


class TypeCatalog:
    """Named types in the order they were met; `fail(location, problem)` reports a collision."""

    def __init__(self, fail: Callable[[str, str], NoReturn]) -> None:
        self._fail = fail
        self._types: dict[str, NamedType] = {}
        self._where: dict[str, str] = {}
        self._order: list[str] = []

    def reserve(self, name: str, location: str) -> None:
        """Claim `name` before its fields are walked, so a recursive reference can point to it."""
        if name in self._where:
            self._fail(location, f"type name {name} is also generated at {self._where[name]}")
        self._where[name] = location
        self._order.append(name)

    def location(self, name: str) -> str:
        """Where a reserved name was first met."""
        return self._where[name]

    def reserved(self, name: str) -> bool:
        return name in self._where

    def is_complete(self, name: str) -> bool:
        return name in self._types

    def complete(self, named: NamedType) -> None:
        self._types[named.name] = named

    def add(self, named: NamedType, location: str) -> None:
        """Adds a type; the same shape under the same name (met twice) is one type."""
        existing = self._types.get(named.name)
        if existing is not None:
            if existing != named:
                self._fail(
                    location,
                    f"type name {named.name} is also generated at {self._where[named.name]} "
                    "with a different shape",
                )
            return
        self.reserve(named.name, location)
        self.complete(named)

    def model(self, root: str) -> TypeModel:
        return TypeModel(
            root=root,
            types=tuple(self._types[n] for n in self._order),
            locations={n: self._where[n] for n in self._order},
        )
