"""Persisted documents, checked before anything parses a request's document.

- Apollo's automatic persisted queries (APQ, `server.persisted_documents = "apq"`): a client
  sends `extensions.persistedQuery = {"version": 1, "sha256Hash": ...}` without the document;
  an unknown hash is answered `PERSISTED_QUERY_NOT_FOUND` (Apollo Server's exact answer), and
  the client sends the document again with its hash, which is checked (`BAD_REQUEST` when it
  does not match) and kept once it has validated, at most `server.apq_cache_size` of them.
- Trusted documents (`"trusted"`): only the documents of Apollo's manifest
  (`server.trusted_documents_file`) run, named by APQ hash, by `documentId` (`sha256:<hex>`, the
  GraphQL-over-HTTP persisted-documents appendix), or sent whole; anything else is
  `PERSISTED_QUERY_NOT_FOUND`.
- `"off"`: a hash is answered `PERSISTED_QUERY_NOT_SUPPORTED`, as Apollo Server without APQ.

Every transport (HTTP GET and POST, both WebSocket subprotocols) asks `document` first.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path

from aiohttp import web

from kafka_graphql.graphql.requests import query_too_large
from kafka_graphql.settings.manifest import read_manifest
from kafka_graphql.settings.server import ServerSettings

APQ_VERSION = 1
NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
DOCUMENT_ID_PREFIX = "sha256:"


class PersistedQueryError(Exception):
    """A refusal in Apollo's words: `message` and `extensions.code`; `status` over HTTP (200
    for the two a client recovers from, as Apollo Server answers them)."""

    def __init__(self, message: str, code: str, status: int = 200) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status

    def body(self) -> dict[str, object]:
        return {"errors": [{"message": self.message, "extensions": {"code": self.code}}]}


def not_found() -> PersistedQueryError:
    return PersistedQueryError("PersistedQueryNotFound", NOT_FOUND)


def bad_request(message: str) -> PersistedQueryError:
    return PersistedQueryError(message, "BAD_REQUEST", 400)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class PersistedDocuments:
    """The documents a hash or id stands for, and the rule of `server.persisted_documents`."""

    def __init__(
        self,
        mode: str,
        cache_size: int,
        trusted: Mapping[str, str] | None = None,
        max_query_bytes: int | None = None,
    ) -> None:
        self.mode = mode
        self.cache_size = cache_size
        self.max_query_bytes = max_query_bytes
        self._trusted = dict(trusted or {})
        # The trusted documents by their own hash too (what Apollo's link sends, and how a
        # document sent whole is found trusted), whatever ids the manifest gives them.
        self._trusted_hashes = {sha256_hex(body): body for body in self._trusted.values()}
        self._store: OrderedDict[str, str] = OrderedDict()

    @classmethod
    def configured(cls, server: ServerSettings, max_query_bytes: int) -> PersistedDocuments:
        manifest = server.trusted_documents_file
        trusted = read_manifest(Path(manifest)) if manifest is not None else None
        return cls(server.persisted_documents, server.apq_cache_size, trusted, max_query_bytes)

    def __len__(self) -> int:
        return len(self._store)

    def document(self, query: object, extensions: object, document_id: object = None) -> object:
        """The document to run for a request's `query`, `extensions` and `documentId`: the
        stored one for a hash or id sent alone, else `query` as sent (checked by the caller as
        before). Raises PersistedQueryError."""
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        if persisted is None and document_id is None:
            if self.mode == "trusted" and not (
                isinstance(query, str) and sha256_hex(query) in self._trusted_hashes
            ):
                raise not_found()
            return query
        if self.mode == "off":
            raise PersistedQueryError("PersistedQueryNotSupported", NOT_SUPPORTED)
        key = _document_key(document_id) if document_id is not None else _apq_hash(persisted)
        if query is None or query == "":
            return self._find(key)
        if not isinstance(query, str):
            return query  # refused by the caller
        known = self._trusted_document(key)
        if (known if known is not None else self._expected(key, query)) != query:
            raise bad_request("provided sha does not match query")
        if self.mode == "trusted" and known is None:
            raise not_found()
        if known is None and self.mode == "apq":
            _defer(self, key, query)
        return query

    def _trusted_document(self, key: str) -> str | None:
        found = self._trusted.get(key)
        return found if found is not None else self._trusted_hashes.get(key.lower())

    def _expected(self, key: str, query: str) -> str | None:
        return query if sha256_hex(query) == key.lower() else None

    def _find(self, key: str) -> str:
        found = self._trusted_document(key)
        if found is None and self.mode == "apq":
            found = self._store.get(key)
            if found is not None:
                self._store.move_to_end(key)
        if found is None:
            raise not_found()
        return found

    def keep(self, key: str, query: str) -> None:
        """Keeps `query` by `key`, its hash (checked), the least recently used going first."""
        if self.cache_size == 0:
            return
        if self.max_query_bytes is not None and query_too_large(query, self.max_query_bytes):
            return  # refused next, by its size
        self._store[key] = query
        self._store.move_to_end(key)
        while len(self._store) > self.cache_size:
            self._store.popitem(last=False)


# Documents sent with their hash, kept once they have validated, as Apollo Server keeps them:
# the store, and per document text its hash. A context variable, so that what one request (or
# one WebSocket message, whose operation runs in a task made with a copy of the context) sent
# is what the gate of its operation finds.
_PENDING: ContextVar[tuple[PersistedDocuments, dict[str, str]] | None] = ContextVar(
    "persisted_pending", default=None
)
# At most this many per request (a batch); any more are not kept.
MAX_PENDING = 64


def _defer(store: PersistedDocuments, key: str, query: str) -> None:
    pending = _PENDING.get()
    if pending is None or pending[0] is not store:
        pending = (store, {})
        _PENDING.set(pending)
    if len(pending[1]) < MAX_PENDING:
        pending[1][query] = key


def new_message() -> None:
    """A WebSocket message's documents are its own (its operation's task keeps what it sent)."""
    _PENDING.set(None)


def document_validated(text: str) -> None:
    """From the gate, once `text` has passed the schema's validation: kept by its hash when it
    was sent with one."""
    pending = _PENDING.get()
    key = pending[1].pop(text, None) if pending is not None else None
    if pending is not None and key is not None:
        pending[0].keep(key, text)


def _apq_hash(persisted: object) -> str:
    if not isinstance(persisted, dict) or persisted.get("version") != APQ_VERSION:
        raise bad_request("Unsupported persisted query version")
    sha = persisted.get("sha256Hash")
    if not isinstance(sha, str) or not sha:
        raise bad_request("`extensions.persistedQuery.sha256Hash` must be a string")
    return sha


def _document_key(document_id: object) -> str:
    if not isinstance(document_id, str) or not document_id:
        raise bad_request("`documentId` must be a non-empty string")
    # sha256:<hex> names a document by its hash, as an APQ hash does; other ids are the
    # manifest's own.
    return document_id.removeprefix(DOCUMENT_ID_PREFIX)


def with_document(
    persisted: PersistedDocuments | None, params: Mapping[str, object]
) -> Mapping[str, object]:
    """A request's parameters (HTTP) or `subscribe`/`start` payload (WebSocket) with the document
    its hash or id stands for as `query`."""
    if persisted is None:
        return params
    query = params.get("query")
    document = persisted.document(query, params.get("extensions"), params.get("documentId"))
    return params if document is query else {**params, "query": document}


def persisted_query_response(refusal: PersistedQueryError) -> web.Response:
    """Apollo Server's answer: its body as it is, and for the two refusals a client recovers from
    (it sends the document, or stops sending hashes) a 200 no cache keeps."""
    headers = {"Cache-Control": "private, no-cache, must-revalidate"}
    return web.json_response(
        refusal.body(), status=refusal.status, headers=headers if refusal.status == 200 else None
    )
