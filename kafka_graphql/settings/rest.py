"""The `[rest]` table: the REST face, compatible with the Confluent REST Proxy API v2
(docs/rest.md), served on the same listener as `/graphql`."""

from __future__ import annotations

from pydantic import Field

from kafka_graphql.settings.fields import Table


class RestSettings(Table):
    """`[rest]`: whether the REST face answers beside the GraphQL API."""

    enabled: bool = False
    """serve the Confluent REST Proxy API (v2 produce, metadata and consumer instances:
    `/topics`, `/brokers`, `/consumers`; v3 produce: `/v3/clusters`; push as Server-Sent Events:
    `/topics/{topic}/records`) on the same port as `/graphql`, with the same tokens, scopes,
    record rules, typed topics and budgets ([rest.md](rest.md)); when off those paths answer 404"""
    consumer_instance_timeout_s: float = Field(300.0, gt=0, allow_inf_nan=False)
    """a consumer instance (`POST /consumers/{group}`) not used for this long is closed (it
    leaves its group; its next request answers 40403)"""
    max_consumer_instances: int = Field(100, ge=0)
    """consumer instances the process holds at once, every caller's together (each is a Kafka
    consumer and its connections); beyond them a new one is refused with 42901"""
    max_consumer_instances_per_principal: int = Field(5, ge=0)
    """consumer instances one caller (a token's subject, or an address without `[auth]`) holds
    at once; beyond them a new one is refused with 42901"""
    push_heartbeat_s: float = Field(15.0, gt=0, le=3600, allow_inf_nan=False)
    """seconds between the comment lines an idle Server-Sent Events stream
    (`GET /topics/{topic}/records`) sends, so that proxies do not close it"""
