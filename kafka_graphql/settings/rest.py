"""The `[rest]` table: the REST face, compatible with the Confluent REST Proxy API v2
(docs/rest.md), served on the same listener as `/graphql`."""

from __future__ import annotations

from kafka_graphql.settings.fields import Table


class RestSettings(Table):
    """`[rest]`: whether the REST face answers beside the GraphQL API."""

    enabled: bool = False
    """serve the Confluent REST Proxy API v2 (produce and metadata: `/topics`, `/brokers`) on
    the same port as `/graphql`, with the same tokens, scopes, record rules, typed topics and
    budgets ([rest.md](rest.md)); when off those paths answer 404"""
