"""The parse and validation cache (kafka_graphql/graphql/documents.py): bounded in tokens, least
recently used first, and used by the schema's gate so that the same text is parsed and validated
once."""

from __future__ import annotations

from graphql import parse

from kafka_graphql.graphql.documents import DocumentCache, token_count, weight
from kafka_graphql.graphql.schema import build_schema
from kafka_graphql.settings import ServerSettings


def _document(fields: int) -> tuple[str, int]:
    text = "{ " + " ".join(f"f{i}" for i in range(fields)) + " }"
    return text, weight(text, parse(text))


def test_token_count_counts_every_token() -> None:
    # <SOF> { a b } <EOF>
    assert token_count(parse("{ a b }")) == 6
    assert token_count(parse("# a comment\n{ a }")) == 6  # comments are kept with the tree


def test_long_text_weighs_what_it_holds() -> None:
    text = "# " + "x" * 10_000 + "\n{ a }"
    assert weight(text, parse(text)) == 6 + len(text) // 200
    assert DocumentCache(max_tokens=20).add(text, parse(text)) is None


def test_the_cache_holds_at_most_its_tokens_least_recently_used_first() -> None:
    texts = [f"{{ a{i} b c }}" for i in range(10)]
    each = weight(texts[0], parse(texts[0]))
    cache = DocumentCache(max_tokens=each * 3)
    for text in texts[:3]:
        assert cache.add(text, parse(text)) is not None
    assert cache.get(texts[0]) is not None  # now the most recently used
    cache.add(texts[3], parse(texts[3]))
    assert len(cache) == 3 and cache.tokens == each * 3
    assert cache.get(texts[1]) is None
    assert all(cache.get(t) is not None for t in (texts[0], texts[2], texts[3]))
    for text in texts:
        cache.add(text, parse(text))
        assert cache.tokens <= cache.max_tokens
    assert len(cache) == 3


def test_a_large_document_pushes_out_several_small_ones() -> None:
    small, small_weight = _document(1)
    large, large_weight = _document(20)
    cache = DocumentCache(max_tokens=large_weight + small_weight)
    for i in range(5):
        text = small.replace("f0", f"g{i}")
        cache.add(text, parse(text))
    assert len(cache) > 1
    cache.add(large, parse(large))
    assert cache.tokens <= cache.max_tokens
    assert cache.get(large) is not None


def test_a_document_larger_than_the_cache_is_not_kept() -> None:
    text, weight = _document(10)
    assert DocumentCache(max_tokens=weight - 1).add(text, parse(text)) is None
    off = DocumentCache(max_tokens=0)
    assert off.add("{ a }", parse("{ a }")) is None and len(off) == 0


async def test_the_schema_parses_and_validates_a_text_once() -> None:
    schema = build_schema(server=ServerSettings(document_cache_tokens=1000))
    invalid = "{ topics { nope } }"
    first = await schema.execute(invalid)
    entry = schema.documents.get(invalid)
    assert entry is not None and entry.errors is not None
    second = await schema.execute(invalid)
    assert schema.documents.get(invalid) is entry  # neither parsed nor validated again
    assert [e.formatted for e in second.errors or ()] == [e.formatted for e in first.errors or ()]
    assert (second.errors or [])[0].extensions == {"code": "GRAPHQL_VALIDATION_FAILED"}
    broken = "{ topics { name }"
    for _ in range(2):
        result = await schema.execute(broken)
        assert [e.extensions for e in result.errors or ()] == [{"code": "GRAPHQL_PARSE_FAILED"}]
    assert len(schema.documents) == 1  # a document that does not parse is not kept


async def test_no_cache_answers_the_same() -> None:
    cached = build_schema(server=ServerSettings(document_cache_tokens=1000))
    uncached = build_schema(server=ServerSettings(document_cache_tokens=0))
    for text in ("{ topics { nope } }", "{ __typename }", "{ a", "query { __typename } query {"):
        for _ in range(2):
            a, b = await cached.execute(text), await uncached.execute(text)
            assert a.data == b.data
            assert [e.formatted for e in a.errors or ()] == [e.formatted for e in b.errors or ()]
    assert len(uncached.documents) == 0
