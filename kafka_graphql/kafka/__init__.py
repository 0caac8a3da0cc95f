"""The Kafka layer: the only package that imports aiokafka."""

from kafka_graphql.kafka.gateway import KafkaGateway
from kafka_graphql.kafka.live_index import IndexHint
from kafka_graphql.kafka.records import (
    Gap,
    Gaps,
    Header,
    KafkaFigures,
    OutgoingRecord,
    Page,
    PartitionDetails,
    PartitionOffsets,
    ProduceAck,
    Record,
    Reset,
)

__all__ = [
    "Gap",
    "Gaps",
    "Header",
    "IndexHint",
    "KafkaFigures",
    "KafkaGateway",
    "OutgoingRecord",
    "Page",
    "PartitionDetails",
    "PartitionOffsets",
    "ProduceAck",
    "Record",
    "Reset",
]
