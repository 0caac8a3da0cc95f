"""Reading a GraphQL-over-HTTP request strictly.

Strawberry's view (strawberry/http/async_base_view.py, `AsyncBaseHTTPView.parse_http_body` and
`run`) answers request errors in plain text, fails with a 500 on a body that is a JSON string,
number or null (it calls `.get` on it), on bytes that are not UTF-8 and on deep nesting, and
accepts `NaN`, `Infinity` and duplicate keys, which are not JSON. The gateway reads the request
itself, by the rules of GraphQL over HTTP (https://graphql.github.io/graphql-over-http/draft/),
with the strict readers every HTTP face shares (http/requests.py), and answers every refusal
with `{"errors": [{"message", "extensions": {"code": "BAD_REQUEST"}}]}` and a 4xx status
(http/errors.py).
"""

from __future__ import annotations

from collections.abc import Mapping

from cross_web import HTTPException
from strawberry.http import GraphQLRequestData
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

from kafka_graphql.http.errors import RequestError
from kafka_graphql.http.requests import json_body, preview, query_string
from kafka_graphql.http.strict_json import NotJSON, loads_strict


def body_params(body: bytes, max_batch: int | None = None) -> Mapping[str, object] | list[object]:
    """The body's one operation, or the operations of a batch (a JSON array) when batching is on
    (`max_batch` operations at most; None: off)."""
    data = json_body(body)
    if isinstance(data, list):
        if max_batch is None:
            raise RequestError(
                "batched requests (a JSON array) are off on this server (server.batching): "
                "send one operation per request"
            )
        if not data:
            raise RequestError("a batched request (a JSON array) must hold at least one operation")
        if len(data) > max_batch:
            raise RequestError(
                f"a batched request holds at most {max_batch} operations "
                f"(limits.max_batch_operations), not {len(data)}"
            )
        return data
    if not isinstance(data, dict):
        raise RequestError("the request body must be a JSON object")
    return data


def query_too_large(query: str, max_bytes: int) -> str | None:
    """Why `query` is refused for its size (`limits.max_query_bytes`), if it is."""
    if len(query) <= max_bytes // 4:
        return None  # no UTF-8 character takes more than four bytes
    size = len(query.encode("utf-8", "surrogatepass"))
    if size <= max_bytes:
        return None
    return f"the document (`query`) is {size} bytes: at most {max_bytes} (limits.max_query_bytes)"


def batch_requests(
    operations: list[object], max_query_bytes: int | None = None
) -> list[GraphQLRequestData]:
    """Each operation of a batch, read as strictly as a single one; the first bad one refuses
    the whole request (nothing has run yet)."""
    requests = []
    for index, operation in enumerate(operations):
        if not isinstance(operation, dict):
            raise RequestError(f"operation {index} of the batch must be a JSON object")
        try:
            requests.append(graphql_request(operation, max_query_bytes))
        except RequestError as error:
            raise RequestError(f"operation {index} of the batch: {error.message}") from None
    return requests


def query_string_params(raw_query: str) -> Mapping[str, object]:
    """GET parameters, decoded strictly; `variables` and `extensions` are JSON text."""
    params: dict[str, object] = dict(query_string(raw_query))
    for name in ("variables", "extensions"):
        text = params.get(name)
        if isinstance(text, str) and text:
            try:
                params[name] = loads_strict(text)
            except NotJSON as error:
                raise RequestError(f"`{name}` is not valid JSON: {error.msg}") from None
        elif text == "":
            params[name] = None
    return params


def graphql_request(
    params: Mapping[str, object], max_query_bytes: int | None = None
) -> GraphQLRequestData:
    query = params.get("query")
    if query is None or query == "":
        raise RequestError("the request has no `query`")
    if not isinstance(query, str):
        raise RequestError("`query` must be a string")
    if max_query_bytes is not None and (problem := query_too_large(query, max_query_bytes)):
        raise RequestError(problem)
    variables = params.get("variables")
    if not isinstance(variables, dict | None):
        raise RequestError("`variables` must be an object")
    operation_name = params.get("operationName")
    if not isinstance(operation_name, str | None):
        raise RequestError("`operationName` must be a string")
    extensions = params.get("extensions")
    if not isinstance(extensions, dict | None):
        raise RequestError("`extensions` must be an object")
    return GraphQLRequestData(
        query=query,
        variables=variables,
        operation_name=operation_name,
        extensions=extensions,
        protocol="http",
    )


def from_strawberry(error: HTTPException, method: str) -> RequestError:
    """Strawberry's own refusals (raised while it executes), in our words and statuses."""
    cause = error.__cause__
    if error.status_code == 405:
        return RequestError("GraphQL is served over GET and POST", status=405, allow="GET, POST")
    if isinstance(cause, InvalidOperationTypeError) and method == "GET":
        # GraphQL over HTTP: a mutation over GET is 405, so that a link or a crawler never writes.
        return RequestError("mutations are served over POST only", status=405, allow="POST")
    if isinstance(cause, CannotGetOperationTypeError) and cause.operation_name is not None:
        # Strawberry's message quotes the whole name, however long.
        return RequestError(
            f'the document has no operation named "{preview(cause.operation_name)}"'
        )
    return RequestError(error.reason, status=error.status_code)
