"""The one start-up failure of typed topics: a schema the model cannot express."""

from __future__ import annotations


class SchemaProblem(ValueError):
    """Names the topic, the schema source, the location inside it and what is wrong.

    e.g. `topic shop.orders: schemas/order.schema.json at /properties/items/items:
    "patternProperties" is not supported`
    """

    def __init__(self, topic: str, source: str, location: str, problem: str) -> None:
        super().__init__(f"topic {topic}: {source} at {location or '/'}: {problem}")
        self.topic = topic
        self.source = source
        self.location = location
        self.problem = problem
