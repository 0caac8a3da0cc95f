"""Resolvers: short functions over the Kafka layer. Schema types live in graphql/schema/."""
