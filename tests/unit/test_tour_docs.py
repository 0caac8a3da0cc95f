"""GraphiQL's first tabs (docs/tour/, the demo's `server.graphiql_tabs`) are the README tour's
documents, so that the page a newcomer opens and the text beside it agree."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[2]


def as_in_readme(document: str) -> str:
    """The tab's document as the README writes it: without its comment and operation name."""
    lines = [line for line in document.splitlines() if not line.startswith("#")]
    text = "\n".join(lines)
    return re.sub(r"^(subscription|mutation|query) \w+ \{", r"\1 {", text)


def test_the_tabs_are_the_readme_tour() -> None:
    readme = (ROOT / "README.md").read_text()
    # Read as TOML: loading the demo's settings needs its development key under .dev/.
    demo = tomllib.loads((ROOT / "kafka-graphql.demo.toml").read_text())
    tabs = [ROOT / tab for tab in demo["server"]["graphiql_tabs"]]
    assert [tab.parent for tab in tabs] == [ROOT / "docs" / "tour"] * 2
    for tab in tabs:
        assert f"```graphql\n{as_in_readme(tab.read_text())}\n```" in readme, tab.name
