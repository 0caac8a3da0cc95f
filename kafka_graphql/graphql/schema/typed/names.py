"""The GraphQL names the binder gives a typed topic's own types and root fields.

Model types keep their model names (the loaders make them) and filters get theirs from
core/typed/where; everything else the binder names is named here, so that the start-up name check
(clashes.py) sees exactly the names the binder then creates.
"""

from __future__ import annotations

from dataclasses import dataclass

from kafka_graphql.settings import TopicRule


def input_name(type_name: str) -> str:
    """The input of an object or union type: `Order` -> `OrderInput`."""
    return f"{type_name}Input"


@dataclass(frozen=True, slots=True)
class TopicNames:
    """For `type = "Order"`, `field = "orders"`: OrderMessage, OrderEdge, OrderConnection,
    OrderMessageInput; `orders` (query and subscription), `produceOrder` and `produceOrders`."""

    message: str
    edge: str
    connection: str
    message_input: str
    field: str
    produce_one: str
    produce_many: str

    @classmethod
    def of(cls, rule: TopicRule) -> TopicNames:
        assert rule.type is not None, "only typed topics"
        field = rule.root_field
        return cls(
            message=f"{rule.type}Message",
            edge=f"{rule.type}Edge",
            connection=f"{rule.type}Connection",
            message_input=f"{rule.type}MessageInput",
            field=field,
            produce_one=f"produce{rule.type}",
            produce_many=f"produce{field[:1].upper()}{field[1:]}",
        )
