"""kafka-graphql: a typed, secure GraphQL gateway in front of Apache Kafka."""

__version__ = "0.1.0"
