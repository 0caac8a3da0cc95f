"""The `[rest]` table: the REST face, compatible with the Confluent REST Proxy API v2
(docs/rest.md), served on the same listener as `/graphql`."""

from __future__ import annotations

from pydantic import Field

from kafka_graphql.settings.fields import Table


class RestSettings(Table):
    """`[rest]`: whether the REST face answers beside the GraphQL API."""

    enabled: bool = False
    """serve the Confluent REST Proxy API (v2 produce and metadata: `/topics`, `/brokers`; v3
    produce: `/v3/clusters`; push as Server-Sent Events: `/topics/{topic}/records`) on the same
    port as `/graphql`, with the same tokens, scopes, record rules, typed topics and budgets
    ([rest.md](rest.md)); when off those paths answer 404"""
    push_heartbeat_s: float = Field(15.0, gt=0, le=3600, allow_inf_nan=False)
    """seconds between the comment lines an idle Server-Sent Events stream
    (`GET /topics/{topic}/records`) sends, so that proxies do not close it"""
