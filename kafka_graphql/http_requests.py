"""Reading a GraphQL-over-HTTP request strictly, and the JSON answer to one that can't be served.

Strawberry's view (strawberry/http/async_base_view.py, `AsyncBaseHTTPView.parse_http_body` and
`run`) answers request errors in plain text, fails with a 500 on a body that is a JSON string,
number or null (it calls `.get` on it), on bytes that are not UTF-8 and on deep nesting, and
accepts `NaN`, `Infinity` and duplicate keys, which are not JSON. The gateway reads the request
itself, by the rules of GraphQL over HTTP (https://graphql.github.io/graphql-over-http/draft/),
and answers every refusal with `{"errors": [{"message", "extensions": {"code": "BAD_REQUEST"}}]}`
and a 4xx status.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any, NoReturn
from urllib.parse import parse_qsl

import orjson
from aiohttp import hdrs, web
from cross_web import HTTPException
from strawberry.http import GraphQLRequestData
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

REQUEST_ERROR_CODE = "BAD_REQUEST"
# Longest piece of client input a message quotes.
PREVIEW_CHARS = 64
_BAD_PERCENT_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


class RequestError(Exception):
    """A request that cannot be served as sent; `status` is its HTTP answer, `code` its
    `extensions.code`."""

    def __init__(
        self,
        message: str,
        status: int = 400,
        allow: str | None = None,
        code: str = REQUEST_ERROR_CODE,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.allow = allow
        self.code = code


def error_response(error: RequestError) -> web.Response:
    headers = {hdrs.ALLOW: error.allow} if error.allow else None
    body = {"errors": [{"message": error.message, "extensions": {"code": error.code}}]}
    return web.json_response(body, status=error.status, headers=headers)


def preview(text: str) -> str:
    return text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS] + "..."


class NotJSON(json.JSONDecodeError):
    """Text that is not JSON, including what Python's json module accepts but JSON does not.

    A JSONDecodeError, so that Strawberry's WebSocket adapter (`iter_json`) treats it as
    non-JSON, as it does for its own parse errors."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, "", 0)


def _refuse_constant(name: str) -> NoReturn:
    raise NotJSON(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        # Python reads 1e999 as inf, which it would write back as `Infinity`, not JSON.
        raise NotJSON("a number is out of the range of a double")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        # Parsers disagree on which duplicate wins: a proxy could check one `query` and the
        # gateway run another.
        raise NotJSON("an object has the same key twice")
    return obj


_DECODER = json.JSONDecoder(
    parse_float=_finite_float, parse_constant=_refuse_constant, object_pairs_hook=_unique_keys
)


def loads_strict(data: str | bytes) -> object:
    """RFC 8259 JSON in UTF-8, or NotJSON saying what is wrong (never echoing the input)."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise NotJSON("the text is not valid UTF-8") from None
    try:
        return _DECODER.decode(text)
    except NotJSON:
        raise
    except json.JSONDecodeError as error:
        raise NotJSON(f"{error.msg} at line {error.lineno} column {error.colno}") from None
    except RecursionError:
        raise NotJSON("the JSON is nested too deeply") from None
    except ValueError:
        # Python refuses integers of more than 4,300 digits (sys.get_int_max_str_digits).
        raise NotJSON("a number has too many digits") from None


def dumps(data: object) -> str:
    """A response or WebSocket message as JSON text (text: Strawberry sends a WebSocket message
    encoded as bytes in a binary frame, which the subprotocols do not allow). orjson is ~10x
    faster than json.dumps; what it refuses (integers beyond 64 bits, which a JSON value read
    from a topic may hold) is written by json.dumps. Reading stays with `loads_strict`: orjson
    would keep the last of duplicate keys rather than refuse them."""
    try:
        return orjson.dumps(data).decode()
    except TypeError:
        return json.dumps(data, separators=(",", ":"))


def check_json_content_type(content_type: str | None) -> None:
    """POST bodies are `application/json` in UTF-8 (GraphQL over HTTP: 415 otherwise)."""
    media_type, _, parameters = (content_type or "").partition(";")
    if media_type.strip().lower() != "application/json":
        raise RequestError("POST bodies must be sent as Content-Type: application/json", status=415)
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() != "utf-8":
            raise RequestError("the only charset accepted is utf-8", status=415)


def body_params(body: bytes, max_batch: int | None = None) -> Mapping[str, object] | list[object]:
    """The body's one operation, or the operations of a batch (a JSON array) when batching is on
    (`max_batch` operations at most; None: off)."""
    try:
        data = loads_strict(body)
    except NotJSON as error:
        raise RequestError(f"the request body is not valid JSON: {error.msg}") from None
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
    """GET parameters, decoded strictly (yarl would replace bad bytes with U+FFFD)."""
    if _BAD_PERCENT_ESCAPE.search(raw_query):
        raise RequestError("the query string has a malformed percent-escape")
    try:
        pairs = parse_qsl(raw_query, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise RequestError("the query string is not valid UTF-8 once percent-decoded") from None
    params: dict[str, object] = {}
    for name, value in pairs:
        if name in params:
            raise RequestError(f"the query string gives `{preview(name)}` more than once")
        params[name] = value
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
