"""Loading the schema fixtures under tests/fixtures/schemas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parents[2] / "fixtures" / "schemas"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def snapshot_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")
