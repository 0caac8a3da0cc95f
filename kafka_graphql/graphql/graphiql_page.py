"""The gateway's GraphiQL page: Strawberry's page (its files, from the gateway or a CDN) with our
own start-up script. On a first visit it opens the configured tabs (`server.graphiql_tabs`),
with the development token in the Headers tab where there is one (dev/dev_token.py), so that
the first schema request succeeds. A share link (`/graphql?query=...&variables=...&
operationName=...`) opens its document first."""

from __future__ import annotations

import json
import re

# Strawberry's page ends with the script that starts GraphiQL: ours replaces it.
_APP_SCRIPT = re.compile(r"<script>\s*const EXAMPLE_QUERY.*?</script>", re.DOTALL)

START = """
const config = JSON.parse(document.getElementById("kafka-graphql").textContent);
const parameters = new URLSearchParams(window.location.search);
const url = window.location.origin + window.location.pathname;
const fetcher = GraphiQL.createFetcher({
  url,
  subscriptionUrl: url.replace(/^http/, "ws"),
});
const headers = config.headers ? JSON.stringify(config.headers, null, 2) : undefined;
const tabs = config.tabs.map((query) => ({ query, headers }));
const props = {
  fetcher,
  defaultEditorToolsVisibility: true,
  plugins: [GraphiQLPluginExplorer.explorerPlugin()],
  inputValueDeprecation: true,
  isHeadersEditorEnabled: true,
  shouldPersistHeaders: true,
  defaultHeaders: headers,
  headers,
  defaultTabs: tabs.length ? tabs : undefined,
};
const shared = parameters.get("query");
if (shared) {
  const tab = {
    query: shared,
    variables: parameters.get("variables") ?? undefined,
    headers,
  };
  props.query = tab.query;
  props.variables = tab.variables;
  props.operationName = parameters.get("operationName") ?? undefined;
  props.defaultTabs = [tab, ...tabs];
}
ReactDOM.createRoot(document.getElementById("graphiql")).render(
  React.createElement(GraphiQL, props),
);
"""


def graphiql_page(strawberry_html: str, tabs: list[str], token: str | None) -> str:
    """`strawberry_html` (Strawberry's GraphiQL page) starting with `tabs` and, when given,
    `token` in the Headers tab."""
    config: dict[str, object] = {"tabs": tabs}
    if token is not None:
        config["headers"] = {"Authorization": f"Bearer {token}"}
    # `<` escaped: nothing in the JSON can end the script element.
    data = json.dumps(config).replace("<", "\\u003c")
    script = (
        f'<script id="kafka-graphql" type="application/json">{data}</script>\n'
        f"    <script>{START}</script>"
    )
    page, count = _APP_SCRIPT.subn(lambda _: script, strawberry_html)
    assert count == 1, "Strawberry's GraphiQL page has changed: see graphql/graphiql_page.py"
    return page.replace("<title>Strawberry GraphiQL</title>", "<title>kafka-graphql</title>")
