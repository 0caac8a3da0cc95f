"""docs/configuration.md lists every key once, as the model describes it, and links into it
resolve."""

from __future__ import annotations

import re
from pathlib import Path

from kafka_graphql.settings.docs import (
    BEGIN,
    COMMAND,
    END,
    PAGE,
    default_of,
    keys_markdown,
    render,
)
from kafka_graphql.settings.environment import ENVIRONMENT_OVERRIDES
from kafka_graphql.settings.model import Settings

ROOT = Path(__file__).parents[2]


def test_the_committed_page_matches_the_model() -> None:
    page = PAGE.read_text(encoding="utf-8")
    assert BEGIN in page and END in page
    assert render(page) == page, f"docs/configuration.md is stale: run `{COMMAND}`"


def test_every_key_and_alias_is_listed_exactly_once() -> None:
    page = PAGE.read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([a-z_\[\].]+)` \|", page, flags=re.MULTILINE)
    assert len(rows) == len(set(rows))
    for table in ("kafka", "server", "limits", "schema_registry", "auth", "topics[]"):
        assert any(row.startswith(f"{table}.") for row in rows), table
    assert "topics[].records.claim" in rows and "server.shutdown_grace_s" in rows
    for variable in ENVIRONMENT_OVERRIDES:
        assert page.count(f"`{variable}`") >= 1, variable
    assert "hs_secret`" not in keys_markdown()  # read from the variable, not a key
    for table in Settings.model_fields:
        assert f"### `[{table}]`" in page or f"### `[[{table}]]`" in page


def _anchors(page: str) -> set[str]:
    headings = re.findall(r"^#+ (.+)$", page, flags=re.MULTILINE)
    return {
        "".join(c for c in heading.lower().replace(" ", "-") if c.isalnum() or c in "-_")
        for heading in headings
    }


def test_links_into_the_page_resolve() -> None:
    anchors = _anchors(PAGE.read_text(encoding="utf-8"))
    pages = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        own = re.findall(r"\]\(#([^)]+)\)", text) if page == PAGE else []
        for anchor in [*re.findall(r"configuration\.md#([^)\s]+)\)", text), *own]:
            assert anchor in anchors, f"{page.name} links to configuration.md#{anchor}"


def test_the_limits_guide_shows_the_model_defaults() -> None:
    """docs/limits.md's table of every limit (what it protects, how to tune it) repeats each
    default: the same as the model's."""
    guide = (ROOT / "docs" / "limits.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \| ([^|]+) \|", guide, flags=re.MULTILINE)
    assert len(rows) > 30
    for key, default in rows:
        assert default.strip() == default_of(key), key
