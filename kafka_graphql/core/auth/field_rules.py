"""Field-level authorization rules: which fields need a scope to be selected (guards, shown as
`@auth` in the SDL and checked on the operation document before anything runs) and which are null
for callers without a scope (masks).

Rules attach to GraphQL types. A value type that several typed topics share is one GraphQL type,
so its rules hold in all of them; two topics that give it different rules are refused at start-up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from kafka_graphql.core.auth.scopes import ADMIN
from kafka_graphql.core.typed.model import EnumType, ObjectType, TypeModel
from kafka_graphql.core.typed.startup import StartupFailed
from kafka_graphql.core.typed.topic import TypedTopic
from kafka_graphql.settings.auth import AuthSettings

# (GraphQL type, field): ("Order", "customer").
FieldKey = tuple[str, str]
# The generic API's object types, which `auth.field_scopes` guards for every topic (a unit test
# keeps this list equal to the schema's): named in a topic's rules, they get a pointer there.
GENERIC_TYPES = frozenset(
    {
        "Gap",
        "Header",
        "Message",
        "MessagePage",
        "Mutation",
        "Partition",
        "PartitionReset",
        "ProduceResult",
        "RateLimit",
        "Query",
        "Subscription",
        "Topic",
    }
)
V = TypeVar("V")


class FieldRuleProblem(StartupFailed):
    """A rule names a type or field that does not exist, or contradicts another rule."""


@dataclass(frozen=True, slots=True)
class FieldRules:
    # The generic API's guards (`auth.field_scopes`): the schema builder checks that they exist
    # and puts them on the typed topics' `<Type>Message` fields too.
    generic: Mapping[FieldKey, tuple[str, ...]] = field(default_factory=dict)
    # The typed topics' value types: selecting the field needs one of the scopes ...
    guards: Mapping[FieldKey, tuple[str, ...]] = field(default_factory=dict)
    # ... or the field is null without the scope.
    masks: Mapping[FieldKey, str] = field(default_factory=dict)

    @classmethod
    def configured(cls, auth: AuthSettings | None, typed: Iterable[TypedTopic] = ()) -> FieldRules:
        """The rules of `auth.field_scopes` and of every typed topic's `field_scopes` and
        `mask`, each checked against the types of its topic. Raises FieldRuleProblem."""
        generic = {_key(k): v for k, v in auth.field_scopes.items()} if auth else {}
        guards: dict[FieldKey, tuple[str, ...]] = {}
        masks: dict[FieldKey, str] = {}
        # Which topic set each rule, to name it when another topic contradicts it.
        owners: dict[tuple[str, FieldKey], str] = {}
        for topic in sorted(typed, key=lambda t: t.rule.name):
            for target, scopes in topic.rule.field_scopes.items():
                _add(guards, owners, topic, "field_scopes", target, scopes)
            for target, scope in topic.rule.mask.items():
                _add(masks, owners, topic, "mask", target, scope)
        return cls(generic, guards, masks)


def needs(scopes: tuple[str, ...]) -> str:
    """`needs scope orders:pii`, as refusals and descriptions say it."""
    if len(scopes) > 1:
        return f"needs one of the scopes {', '.join(scopes)}"
    return f"needs scope {scopes[0] if scopes else ADMIN}"


def _add(
    table: dict[FieldKey, V],
    owners: dict[tuple[str, FieldKey], str],
    topic: TypedTopic,
    setting: str,
    target: str,
    value: V,
) -> None:
    key = _checked(topic, setting, target)
    first = owners.setdefault((setting, key), topic.rule.name)
    if key in table and table[key] != value:
        raise FieldRuleProblem(
            f'topic {topic.rule.name}: {setting} "{target}": topic {first} gives {key[0]} '
            f"another rule ({table[key]!r}), and the topics share that type: a shared type has "
            "one set of rules"
        )
    table[key] = value


def _key(target: str) -> FieldKey:
    type_name, _, field_name = target.partition(".")
    return type_name, field_name


def _checked(topic: TypedTopic, setting: str, target: str) -> FieldKey:
    """`target` as a key, when it names a field of one of `topic`'s value types."""
    key = _key(target)
    type_name, field_name = key
    model: TypeModel = topic.model
    where = f'topic {topic.rule.name}: {setting} "{target}"'
    named = next((t for t in model.types if t.name == type_name), None)
    if named is None:
        envelope = f"{topic.rule.type}Message"
        if type_name == envelope:
            raise FieldRuleProblem(
                f"{where}: {envelope} is the record, not its value; its fields are guarded for "
                f'every topic by auth.field_scopes "Message.{field_name}"'
            )
        if type_name in GENERIC_TYPES:
            raise FieldRuleProblem(
                f"{where}: {type_name} is a type of the generic API, which every topic shares; "
                f'guard its fields with auth.field_scopes "{target}"'
            )
        objects = ", ".join(t.name for t in model.types if isinstance(t, ObjectType))
        raise FieldRuleProblem(
            f"{where}: the topic's values have no type {type_name} (their object types: {objects})"
        )
    if not isinstance(named, ObjectType):
        kind = "an enum" if isinstance(named, EnumType) else "a union (name its members' fields)"
        raise FieldRuleProblem(f"{where}: {type_name} is {kind}, not an object type")
    if named.field(field_name) is None:
        fields = ", ".join(f.name for f in named.fields)
        raise FieldRuleProblem(
            f"{where}: type {type_name} has no field {field_name} (its fields: {fields})"
        )
    return key
