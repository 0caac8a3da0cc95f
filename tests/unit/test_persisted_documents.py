"""graphql/persisted.py: which document a hash or id stands for, by mode, and the bounded store."""

from __future__ import annotations

import hashlib

import pytest

from kafka_graphql.graphql.persisted import (
    PersistedDocuments,
    PersistedQueryError,
    document_validated,
    new_message,
)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def apq(text: str) -> dict[str, object]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha(text)}}


def code(call: object) -> str:
    assert callable(call)
    with pytest.raises(PersistedQueryError) as refusal:
        call()
    return refusal.value.code


def sent(documents: PersistedDocuments, text: str) -> None:
    """`text` sent with its hash, and valid."""
    new_message()
    documents.document(text, apq(text))
    document_validated(text)


def test_a_document_is_kept_once_it_has_validated() -> None:
    documents = PersistedDocuments("apq", cache_size=2)
    new_message()
    documents.document("{ nope }", apq("{ nope }"))
    assert len(documents) == 0  # not (yet) valid
    document_validated("{ nope }")
    assert documents.document(None, apq("{ nope }")) == "{ nope }"


def test_the_store_keeps_the_most_recently_used() -> None:
    documents = PersistedDocuments("apq", cache_size=2)
    for text in ("{ a }", "{ b }"):
        sent(documents, text)
    documents.document(None, apq("{ a }"))  # used: b is now the oldest
    sent(documents, "{ c }")
    assert len(documents) == 2
    assert documents.document(None, apq("{ a }")) == "{ a }"
    assert code(lambda: documents.document(None, apq("{ b }"))) == "PERSISTED_QUERY_NOT_FOUND"


def test_a_document_over_the_size_limit_is_not_kept() -> None:
    documents = PersistedDocuments("apq", cache_size=10, max_query_bytes=5)
    sent(documents, "{ long }")
    assert len(documents) == 0


def test_trusted_documents_by_document_id_apq_hash_or_whole() -> None:
    body = "query A { a }"
    documents = PersistedDocuments("trusted", cache_size=10, trusted={"custom-id": body})
    assert documents.document(None, None, f"sha256:{sha(body)}") == body
    assert documents.document(None, None, "custom-id") == body
    assert documents.document(None, apq(body)) == body
    assert documents.document(body, None) == body
    assert code(lambda: documents.document("{ b }", None)) == "PERSISTED_QUERY_NOT_FOUND"
    assert code(lambda: documents.document("{ b }", apq("{ b }"))) == "PERSISTED_QUERY_NOT_FOUND"
    assert code(lambda: documents.document(None, None, "sha256:00")) == "PERSISTED_QUERY_NOT_FOUND"
    assert len(documents) == 0  # nothing sent is ever kept


def test_mismatch_version_and_off() -> None:
    documents = PersistedDocuments("apq", cache_size=10)
    assert code(lambda: documents.document("{ b }", apq("{ a }"))) == "BAD_REQUEST"
    version = {"persistedQuery": {"version": 2, "sha256Hash": sha("{ a }")}}
    assert code(lambda: documents.document(None, version)) == "BAD_REQUEST"
    off = PersistedDocuments("off", cache_size=10)
    assert off.document("{ a }", None) == "{ a }"
    assert code(lambda: off.document("{ a }", apq("{ a }"))) == "PERSISTED_QUERY_NOT_SUPPORTED"
