"""Reading an HTTP request strictly, for every face: its query string, its JSON body and its
Content-Type. A request that breaks a rule is refused with RequestError (http/errors.py), which
the face answers as coded JSON with a 4xx status.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from kafka_graphql.http.errors import RequestError
from kafka_graphql.http.strict_json import NotJSON, loads_strict

# Longest piece of client input a message quotes.
PREVIEW_CHARS = 64
_BAD_PERCENT_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def preview(text: str) -> str:
    return text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS] + "..."


def check_json_content_type(content_type: str | None) -> None:
    """POST bodies are `application/json` in UTF-8 (GraphQL over HTTP: 415 otherwise)."""
    media_type, _, parameters = (content_type or "").partition(";")
    if media_type.strip().lower() != "application/json":
        raise RequestError("POST bodies must be sent as Content-Type: application/json", status=415)
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() != "utf-8":
            raise RequestError("the only charset accepted is utf-8", status=415)


def query_string(raw_query: str) -> dict[str, str]:
    """The parameters of a query string, decoded strictly (yarl would replace bad bytes with
    U+FFFD); a name given twice is refused."""
    if _BAD_PERCENT_ESCAPE.search(raw_query):
        raise RequestError("the query string has a malformed percent-escape")
    try:
        pairs = parse_qsl(raw_query, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise RequestError("the query string is not valid UTF-8 once percent-decoded") from None
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise RequestError(f"the query string gives `{preview(name)}` more than once")
        params[name] = value
    return params


def json_body(body: bytes) -> object:
    """The request body's JSON value (RFC 8259, UTF-8)."""
    try:
        return loads_strict(body)
    except NotJSON as error:
        raise RequestError(f"the request body is not valid JSON: {error.msg}") from None
