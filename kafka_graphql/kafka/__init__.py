"""The Kafka layer: the only package that imports aiokafka."""

from kafka_graphql.kafka.gateway import KafkaGateway
from kafka_graphql.kafka.live_index import IndexHint
from kafka_graphql.kafka.records import (
    Header,
    KafkaFigures,
    OutgoingRecord,
    Page,
    PartitionDetails,
    PartitionOffsets,
    ProduceAck,
    Record,
)

__all__ = [
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
]
