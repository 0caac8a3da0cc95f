"""Topic configuration the gateway acts on: which topics Kafka compacts (`cleanup.policy`).

On a compacted topic a record's key is its identity: a later record with the same key replaces
it. The record-level rules need to know (settings/records.py's `key_prefix`). Answers are kept
for `kafka.metadata_max_age_s`, so that a write asks Kafka at most that often per topic, and a
policy changed while the gateway runs is seen as soon as metadata is.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from kafka_graphql.core.errors import KafkaUnavailable, NotFound
from kafka_graphql.kafka.errors import kafka_call
from kafka_graphql.settings import KafkaSettings

log = logging.getLogger(__name__)

CLEANUP_POLICY = "cleanup.policy"
# Kafka's own error code for a topic that does not exist.
UNKNOWN_TOPIC_OR_PARTITION = 3


def is_compacted(policy: str) -> bool:
    """`compact`, or `compact,delete` (both): Kafka keeps the latest record of each key."""
    return "compact" in (p.strip() for p in policy.split(","))


class CleanupPolicies:
    """Each topic's `cleanup.policy`, asked of Kafka and kept for `metadata_max_age_s`."""

    def __init__(self, admin: AIOKafkaAdminClient, settings: KafkaSettings) -> None:
        self._admin = admin
        self._settings = settings
        # topic -> (its policy, or None when the topic does not exist; when it was asked).
        self._known: dict[str, tuple[str | None, float]] = {}

    async def of(self, topics: Collection[str]) -> dict[str, str]:
        """The policy of each of `topics` that exists."""
        now = time.monotonic()
        fresh = now - self._settings.metadata_max_age_s
        stale = [t for t in topics if t not in self._known or self._known[t][1] < fresh]
        if stale:
            resources = [
                ConfigResource(ConfigResourceType.TOPIC, t, configs={CLEANUP_POLICY: None})
                for t in stale
            ]
            async with kafka_call("reading topic configs", self._settings.request_timeout_s):
                responses = await self._admin.describe_configs(resources)
            for response in responses:
                for resource in response.to_object()["resources"]:
                    policy = next(
                        (
                            entry["config_value"]
                            for entry in resource["config_entries"]
                            if entry["config_names"] == CLEANUP_POLICY
                        ),
                        None,
                    )
                    name, error = resource["resource_name"], resource["error_code"]
                    if error not in (0, UNKNOWN_TOPIC_OR_PARTITION) or (not error and not policy):
                        # Never taken as "not compacted": that would be the unsafe answer.
                        log.warning(
                            "Kafka did not tell topic %s's %s: error code %s",
                            name,
                            CLEANUP_POLICY,
                            error,
                        )
                        raise KafkaUnavailable(
                            f"Kafka did not tell how topic {name!r} is cleaned up (error code "
                            f"{error}); the gateway needs to describe the configs of topics "
                            "with a record rule"
                        )
                    self._known[name] = (policy if not error else None, now)
        policies = {t: self._known[t][0] for t in topics if t in self._known}
        return {t: policy for t, policy in policies.items() if policy is not None}


async def topic_configs(
    admin: AIOKafkaAdminClient, settings: KafkaSettings, topic: str
) -> dict[str, str | None]:
    """Every configuration entry of `topic` (its own and the defaults it inherits), by name; a
    sensitive value is None, as Kafka hides it. NotFound if the topic does not exist."""
    resource = ConfigResource(ConfigResourceType.TOPIC, topic, configs=None)
    async with kafka_call("reading topic configs", settings.request_timeout_s):
        responses = await admin.describe_configs([resource])
    found: dict[str, str | None] = {}
    for response in responses:
        for described in response.to_object()["resources"]:
            error = described["error_code"]
            if error == UNKNOWN_TOPIC_OR_PARTITION:
                raise NotFound.topic(topic)
            if error:
                raise KafkaUnavailable(
                    f"Kafka did not describe topic {topic!r}'s configs (error code {error})"
                )
            for entry in described["config_entries"]:
                found[entry["config_names"]] = entry["config_value"]
    return dict(sorted(found.items()))
