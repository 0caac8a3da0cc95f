"""The GraphQL binder of typed topics: neutral model -> Strawberry types and root fields."""

from kafka_graphql.schema.typed.roots import typed_roots

__all__ = ["typed_roots"]
