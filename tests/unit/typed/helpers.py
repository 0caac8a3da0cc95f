"""Loading the schema fixtures under tests/fixtures/schemas, and comparing snapshots."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parents[2] / "fixtures" / "schemas"
SDL_SNAPSHOTS = Path(__file__).parents[2] / "fixtures" / "sdl"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def check_snapshot(path: Path, actual: str) -> None:
    """`actual` must equal the stored snapshot exactly; `UPDATE_SNAPSHOTS=1` rewrites it first
    (then review the diff as a client of the API would)."""
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.write_text(actual, encoding="utf-8")
    if not path.is_file():
        pytest.fail(f"{path} is missing: run UPDATE_SNAPSHOTS=1 make test-unit")
    assert actual == path.read_text(encoding="utf-8"), f"{path.name} differs from the code"
