"""The CSRF rule and the production schema, without a server: pure functions of the headers, and
of the document and the settings."""

from __future__ import annotations

from typing import Any

import pytest
from multidict import CIMultiDict

from kafka_graphql.graphql.schema import build_schema
from kafka_graphql.http.csrf import check_csrf
from kafka_graphql.http.errors import RequestError
from kafka_graphql.settings import ServerSettings

REFUSED = [
    {"Content-Type": "text/plain"},
    {"content-type": " TEXT/PLAIN ;charset=UTF-8"},
    {"Content-Type": "application/x-www-form-urlencoded"},
    {"Content-Type": "multipart/form-data; boundary=----x"},
    {},
    {"Content-Type": "text/plain", "Apollo-Require-Preflight": ""},
    {"Content-Type": "text/plain", "X-Apollo-Operation-Name": "  "},
]
ALLOWED = [
    {"Content-Type": "application/json"},
    {"Content-Type": "application/graphql-response+json"},
    # Not a MIME type a browser would send without asking first.
    {"Content-Type": "text/plain, application/json"},
    {"Content-Type": "text/plain", "Apollo-Require-Preflight": "true"},
    {"apollo-require-preflight": "1"},
    {"Content-Type": "multipart/form-data", "X-Apollo-Operation-Name": "Upload"},
]


@pytest.mark.parametrize("headers", REFUSED)
def test_posts_a_browser_sends_without_preflight_are_refused(headers: dict[str, str]) -> None:
    with pytest.raises(RequestError) as refused:
        check_csrf(CIMultiDict(headers))
    assert refused.value.status == 400
    assert refused.value.code == "BAD_REQUEST"
    assert "cross-site request forgery" in refused.value.message


@pytest.mark.parametrize("headers", ALLOWED)
def test_posts_that_force_a_preflight_pass(headers: dict[str, str]) -> None:
    check_csrf(CIMultiDict(headers))


PRODUCTION = ServerSettings(profile="production")
TYPOS = {
    "field": "{ topicz { name } }",
    "argument": '{ messages(topc: "t") { hasMore } }',
    "type": "query($f: MessageFiltr) { topics { name } }",
    "input field": '{ messages(topic: "t", filter: {kye: "x"}) { hasMore } }',
    "selection on a leaf": "{ topics }",
}


async def _errors(server: ServerSettings, query: str, **variables: Any) -> list[dict[str, Any]]:
    result = await build_schema(server=server).execute(query, variable_values=variables or None)
    assert result.errors
    return [dict(e.formatted) for e in result.errors]


@pytest.mark.parametrize("query", TYPOS.values(), ids=TYPOS.keys())
async def test_production_leaves_suggestions_out(query: str) -> None:
    development = await _errors(ServerSettings(), query)
    assert any("Did you mean" in e["message"] for e in development)
    for error in await _errors(PRODUCTION, query):
        assert "Did you mean" not in error["message"]
        assert error["message"].strip() == error["message"]
        assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_suggestions_in_variables_are_left_out_too() -> None:
    query = 'query($f: MessageFilter) { messages(topic: "t", filter: $f) { hasMore } }'
    (error,) = await _errors(PRODUCTION, query, f={"kye": "x"})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"] == (
        "Variable '$f' has invalid value: Expected value of type 'MessageFilter' not to include "
        "unknown field 'kye'. Found: {'kye': 'x'}."
    )


async def test_production_refuses_introspection_before_anything_runs() -> None:
    # Every introspection field is named, `__schema` first.
    errors = await _errors(PRODUCTION, "{ __schema { queryType { name } } }")
    assert {e["extensions"]["code"] for e in errors} == {"GRAPHQL_VALIDATION_FAILED"}
    assert errors[0]["message"] == (
        "GraphQL introspection has been disabled, but the requested query contained the field "
        "'__schema'."
    )
    allowed = ServerSettings(profile="production", introspection=True)
    result = await build_schema(server=allowed).execute("{ __schema { queryType { name } } }")
    assert result.errors is None
