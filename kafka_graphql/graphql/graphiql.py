"""GraphiQL served with its own files instead of a CDN's, when they have been fetched
(`scripts/graphiql-assets.py`, run by `make run` and `make test`). Otherwise Strawberry's page
is used as it is.
"""

from __future__ import annotations

import re
from pathlib import Path

from strawberry.http.ides import get_graphql_ide_html

CDN = "https://unpkg.com/"
ASSETS_URL = "/graphiql-assets/"
# src/href="https://unpkg.com/<package>@<version>/<path>" followed by integrity="sha384-..."
ASSET = re.compile(
    r'(?:src|href)="https://unpkg\.com/((?:@[^/@"]+/)?[^/@"]+)@([^/"]+)/([^"]+)"\s+'
    r'integrity="sha384-([^"]+)"'
)


def cdn_assets() -> list[tuple[str, str, str, str]]:
    """(package, version, path, sha384) of every file the GraphiQL page loads from the CDN."""
    return ASSET.findall(get_graphql_ide_html(graphql_ide="graphiql"))


def local_graphiql_html(assets_dir: Path) -> str | None:
    """The GraphiQL page pointing at ASSETS_URL, if `assets_dir` holds every file it needs.

    The integrity hashes stay in the page, so the browser still checks each file."""
    html = get_graphql_ide_html(graphql_ide="graphiql")
    found = ASSET.findall(html)
    if not found or not all((assets_dir / f"{p}@{v}" / path).is_file() for p, v, path, _ in found):
        return None
    return html.replace(CDN, ASSETS_URL)
