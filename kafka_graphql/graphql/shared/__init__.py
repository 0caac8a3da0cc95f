"""Shared subscription execution (docs/performance.md#shared-subscription-execution)."""

from kafka_graphql.graphql.shared.groups import GroupKey, SharedGroup, SharedGroups, group_key
from kafka_graphql.graphql.shared.relay import (
    Relay,
    SharedOperation,
    frame_around,
    join_relay,
    mark_operation,
)

__all__ = [
    "GroupKey",
    "Relay",
    "SharedGroup",
    "SharedGroups",
    "SharedOperation",
    "frame_around",
    "group_key",
    "join_relay",
    "mark_operation",
]
