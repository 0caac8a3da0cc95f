"""GraphQL types and the schema builder. Behaviour lives in graphql/resolvers/."""

from kafka_graphql.graphql.schema.build import build_schema

__all__ = ["build_schema"]
