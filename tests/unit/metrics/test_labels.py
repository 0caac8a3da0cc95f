"""Label values are bounded: at most so many, the rest `"other"`, and a value keeps its label."""

from __future__ import annotations

from kafka_graphql.observability.metrics.labels import (
    MAX_NAME_CHARS,
    OTHER,
    Bounded,
    OperationNames,
    is_code,
    is_word,
)


def test_values_beyond_the_limit_are_other_and_each_keeps_its_label() -> None:
    topic = Bounded(2)
    assert [topic(t) for t in ("a", "b", "c", "a", "b", "d")] == ["a", "b", OTHER, "a", "b", OTHER]
    assert len(topic) == 2
    # "c" was refused once: it stays "other", so a gauge's increment and decrement meet.
    assert topic("c") == OTHER


def test_a_value_it_does_not_admit_is_other_and_takes_no_slot() -> None:
    exposed = {"orders", "payments"}
    topic = Bounded(2, exposed.__contains__)
    assert topic("__consumer_offsets") == OTHER
    assert topic("secret") == OTHER
    assert [topic("orders"), topic("payments")] == ["orders", "payments"]
    assert len(topic) == 2


def test_a_value_named_other_is_not_a_value_of_its_own() -> None:
    words = Bounded(5)
    assert words(OTHER) == OTHER
    assert len(words) == 0


def test_operation_names_are_graphql_names_of_bounded_length_and_number() -> None:
    names = OperationNames(3)
    assert names(None) == names("") == ""
    assert names("Ping") == "Ping"
    assert names("x" * MAX_NAME_CHARS) == "x" * MAX_NAME_CHARS
    assert names("x" * (MAX_NAME_CHARS + 1)) == OTHER
    # Never a document, nor anything else that is not a name.
    assert names("{ topics { name } }") == OTHER
    assert names("query Ping") == OTHER
    assert [names(n) for n in ("A", "B")] == ["A", OTHER]
    assert names("Ping") == "Ping"
    # The anonymous operation takes no slot.
    assert names(None) == ""


def test_codes_and_words() -> None:
    assert is_code("RATE_LIMITED") and is_code("TOO_MANY_CONNECTIONS")
    assert not is_code("rate_limited") and not is_code("") and not is_code("A" * 101)
    assert is_word("bad_signature") and is_word("graphql-transport-ws")
    assert not is_word("Bad") and not is_word("") and not is_word("a b")
