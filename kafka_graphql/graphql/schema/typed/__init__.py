"""The GraphQL binder of typed topics: neutral model -> Strawberry types and root fields."""

from kafka_graphql.graphql.schema.typed.clashes import NameClash, check_names, gateway_names
from kafka_graphql.graphql.schema.typed.roots import typed_roots

__all__ = ["NameClash", "check_names", "gateway_names", "typed_roots"]
