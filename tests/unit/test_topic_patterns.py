"""Which `[[topics]]` entries can never apply: glob containment, decided exactly over the names
Kafka allows, and checked against fnmatch itself on sampled names."""

from __future__ import annotations

import itertools
import random
from fnmatch import fnmatchcase

import pytest

from kafka_graphql.core.topics import TopicRegistry
from kafka_graphql.settings import SettingsError, TopicRule, settings_from_mapping
from kafka_graphql.settings.topic_patterns import (
    LEGAL,
    ShadowedTopic,
    check_topic_order,
    covers,
    overlaps,
)

# (earlier, later, whether every valid name `later` matches is matched by `earlier`)
PAIRS = [
    ("*", "payroll.*", True),
    ("*", "payroll", True),
    ("*", "?", True),
    ("payroll.*", "*", False),
    ("a.*", "a.b.*", True),
    ("a.*", "a.b", True),
    ("a.*", "a.b?", True),
    ("a.*", "a.", True),
    ("a.*", "a", False),
    ("a.b*", "a.*", False),
    ("a*", "a.*", True),
    ("a.*", "a*", False),
    ("*.*", "a.b", True),
    ("*.*", "a*", False),
    ("*a*", "*a", True),
    ("*a", "*a*", False),
    ("a*c", "a*b*c", True),
    ("a*b*c", "a*c", False),
    ("*-*-*", "x-*-y-*", True),
    ("a.?", "a.[bc]", True),
    ("a.[bc]", "a.?", False),
    ("a.[!x]", "a.[a-w]", True),
    ("a.[a-w]", "a.[!x]", False),
    ("[a-c]*", "b*", True),
    ("[a-c]*", "[!a-c]*", False),
    ("test-*", "test-??", True),
    ("test-??", "test-*", False),
    ("??*", "???", True),
    ("???", "??*", False),
    ("x*", "y*", False),
    ("Payroll.*", "payroll.*", False),  # case-sensitive, as fnmatchcase
    ("a[.]b", "a.b", True),
    ("*", "a[", True),  # an unclosed "[" is a plain character: no valid name has it
]


@pytest.mark.parametrize(("earlier", "later", "expected"), PAIRS)
def test_containment(earlier: str, later: str, expected: bool) -> None:
    assert covers([earlier], later) is expected


def sample_names(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)  # noqa: S311 (names to probe, not secrets)
    alphabet = "abcxy.-_0A"
    return ["".join(rng.choices(alphabet, k=rng.randint(1, 7))) for _ in range(count)]


@pytest.mark.parametrize(("earlier", "later", "expected"), PAIRS)
def test_containment_agrees_with_fnmatch_on_sampled_names(
    earlier: str, later: str, expected: bool
) -> None:
    """A pattern said to cover another matches every sampled name the other matches."""
    names = [*sample_names(3000, 14), "payroll.x", "a.b", "a.bc", "test-ab", "x-1-y-2"]
    if expected:
        for name in names:
            assert not fnmatchcase(name, later) or fnmatchcase(name, earlier), name


def test_a_union_of_earlier_patterns_covers_too() -> None:
    assert covers(["a.b*", "a.c*"], "a.[bc]*")
    assert not covers(["a.b*"], "a.[bc]*")
    assert covers(["a.", "a.?", "a.??*"], "a.*")
    assert not covers(["a.?", "a.??*"], "a.*")  # "a." itself
    assert not covers(["a.", "a.?", "a.???*"], "a.*")  # "a.bc"
    assert covers([c for c in LEGAL], "?")
    assert not covers([c for c in LEGAL if c != "_"], "?")


def test_overlaps() -> None:
    assert overlaps("a.*", "*.b")
    assert not overlaps("a.*", "b.*")
    assert not overlaps("[ab]", "[cd]")


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (
            ["*", "payroll.*"],
            'topics[1] ("payroll.*") is never used: every topic it matches goes to topics[0] ("*")',
        ),
        (
            ["orders", "events.*", "events.billing.*"],
            'topics[2] ("events.billing.*") is never used: every topic it matches goes to '
            'topics[1] ("events.*")',
        ),
        (
            ["a.b*", "a.c*", "x", "a.[bc]*"],
            'topics[3] ("a.[bc]*") is never used: every topic it matches goes to '
            'topics[0] ("a.b*"), topics[1] ("a.c*")',
        ),
        (
            ["a.?", "a.[0-9]", "a.0"],
            'topics[1] ("a.[0-9]") is never used: every topic it matches goes to topics[0] ("a.?")',
        ),
        # Exact names win wherever they are listed, so they take from a pattern too.
        (
            ["log.[ab]", "log.a", "log.b"],
            'topics[0] ("log.[ab]") is never used: every topic it matches goes to '
            'topics[1] ("log.a"), topics[2] ("log.b")',
        ),
        (["orders", "payments", "orders"], 'topics[2] ("orders") repeats topics[0]'),
        (["ok", "pay roll.*"], 'topics[1] ("pay roll.*") matches no valid topic name'),
        (["[]"], 'topics[0] ("[]") matches no valid topic name'),
    ],
)
def test_refused_orders(names: list[str], message: str) -> None:
    with pytest.raises(ShadowedTopic) as error:
        check_topic_order(names)
    assert str(error.value).startswith(message)


@pytest.mark.parametrize(
    "names",
    [
        ["payroll.*", "*"],
        ["events.billing.*", "events.*", "*"],
        # An exact name after a pattern that matches it: exact names win, it is used.
        ["demo.*", "demo.orders"],
        ["a.b*", "a.[bc]*"],
        ["a.?", "a.??*", "a.*"],
        ["test-*", "Test-*"],
        [],
    ],
)
def test_accepted_orders(names: list[str]) -> None:
    check_topic_order(names)


def refused_entry(names: tuple[str, ...]) -> int | None:
    try:
        check_topic_order(names)
    except ShadowedTopic as error:
        return error.index
    return None


def test_the_check_agrees_with_the_registry() -> None:
    """The claim behind the check, on `TopicRegistry.rule_for` itself: in an order the check
    accepts, some name gets each entry; in one it refuses, no name gets the entry it names."""
    patterns = ["*", "a*", "a.*", "a.b", "a.?", "[ab].*", "?.b", "b*", "a.[!b]"]
    probes = ["".join(p) for n in range(1, 4) for p in itertools.product("ab.c", repeat=n)]
    refusals = 0
    for names in itertools.permutations(patterns, 3):
        registry = TopicRegistry(TopicRule(name=name) for name in names)
        used = {rule.name for probe in probes if (rule := registry.rule_for(probe))}
        index = refused_entry(names)
        if index is None:
            assert used == set(names), names
        else:
            refusals += 1
            assert names[index] not in used, names
    assert refusals > 100


def test_start_up_refuses_the_order() -> None:
    with pytest.raises(SettingsError, match=r'topics\[1\] \("payroll\.\*"\) is never used'):
        settings_from_mapping({"topics": [{"name": "*"}, {"name": "payroll.*"}]})
