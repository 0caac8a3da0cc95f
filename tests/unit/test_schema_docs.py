from __future__ import annotations

from pathlib import Path

from kafka_graphql.graphql.schema import build_schema

SCHEMA_FILE = Path(__file__).parents[2] / "docs" / "schema.graphql"


def test_published_schema_matches_the_code() -> None:
    """docs/schema.graphql is the contract clients read; regenerate it when the schema changes:
    python -c "from kafka_graphql.graphql.schema import build_schema
    print(build_schema().as_str())"
    """
    assert SCHEMA_FILE.read_text() == build_schema().as_str() + "\n"


def test_offsets_are_long_never_int() -> None:
    sdl = build_schema().as_str()
    for field in ("offset: Long!", "earliestOffset: Long!", "latestOffset: Long!"):
        assert field in sdl
    assert "offset: Int" not in sdl
