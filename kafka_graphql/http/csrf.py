"""Cross-site request forgery (CSRF) protection for GraphQL over HTTP, the way Apollo Server does it
(its `csrfPrevention`).

Any web page can make a browser send a "simple" request to the gateway, one that needs no CORS
preflight: a POST whose Content-Type is text/plain, application/x-www-form-urlencoded or
multipart/form-data, or that has none. CORS then keeps the answer from the page, but the
operation has run already. So such a POST is refused unless it carries a header a simple request
cannot have: the browser then asks first (a preflight), and the CORS list decides.

GET needs no check of its own: it runs queries only (a mutation over GET is refused with 405), and
a query has no effect a forged request could cause. Every POST passes here, whatever body types
the gateway learns later (multipart uploads, say), so this stays the one place of the rule.
"""

from __future__ import annotations

from collections.abc import Mapping

from kafka_graphql.http.errors import RequestError

# https://fetch.spec.whatwg.org/#cors-safelisted-request-header
NON_PREFLIGHTED_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)
# Apollo's: Apollo iOS and Kotlin send the first, any client can send the second.
PREFLIGHT_HEADERS = ("X-Apollo-Operation-Name", "Apollo-Require-Preflight")

CSRF_MESSAGE = (
    "this request may be a cross-site request forgery (CSRF): send Content-Type: "
    "application/json, or a non-empty Apollo-Require-Preflight header"
)


def check_csrf(headers: Mapping[str, str]) -> None:
    """Refuse a POST a browser would send cross-site without asking (400, BAD_REQUEST)."""
    content_type = headers.get("Content-Type")
    if content_type is not None:
        essence = content_type.partition(";")[0].strip().lower()
        if essence not in NON_PREFLIGHTED_CONTENT_TYPES:
            return  # a browser preflights any other type (or a value it can't parse)
    if any(headers.get(name, "").strip() for name in PREFLIGHT_HEADERS):
        return
    raise RequestError(CSRF_MESSAGE)
