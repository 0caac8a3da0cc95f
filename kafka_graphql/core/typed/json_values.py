"""Validation of values against a topic's JSON Schema (the whole schema, every keyword)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import jsonschema

from kafka_graphql.core.typed.json_schema import validator_class
from kafka_graphql.core.typed.problems import Problem, parse_datetime


def _format_checker() -> jsonschema.FormatChecker:
    # jsonschema checks "date-time" only with an optional package; the API's DateTime depends on
    # it, so it is checked here the same way the Avro side parses it.
    checker = jsonschema.FormatChecker()

    @checker.checks("date-time")
    def is_datetime(value: object) -> bool:
        return not isinstance(value, str) or parse_datetime(value) is None

    return checker


class JsonSchemaValidator:
    """Validates plain values against one JSON Schema document (2020-12 or draft-07)."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        cls = validator_class(document)
        if cls is None:
            raise ValueError("only JSON Schema draft 2020-12 and draft-07 are supported")
        self._validator = cls(document, format_checker=_format_checker())

    def validate(self, value: object) -> list[Problem]:
        """Problems sorted by path, each with the path as a list (`["items", 2, "sku"]`)."""
        problems: list[Problem] = [
            (list(error.absolute_path), error.message)
            for error in self._validator.iter_errors(cast("Any", value))
        ]
        return sorted(problems, key=lambda p: [str(part) for part in p[0]])
