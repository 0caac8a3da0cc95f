"""Records gone before a client read them: deleted with deleteRecords (as retention would), or
a topic deleted and created again, for the tests of docs/api.md "When records are gone"."""

from __future__ import annotations

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, RecordsToDelete
from aiokafka.errors import TopicAlreadyExistsError

from tests.integration.helpers import create_served_topic, poll_until


async def delete_before(
    admin: AIOKafkaAdminClient, topic: str, offset: int, partition: int = 0
) -> None:
    """Deletes the records of `partition` below `offset`; the log start is `offset` when it
    returns (the leader answers once it moved it)."""
    tp = TopicPartition(topic, partition)
    low = await admin.delete_records({tp: RecordsToDelete(before_offset=offset)})
    assert low[tp] == offset, low


async def recreate(admin: AIOKafkaAdminClient, topic: str, partitions: int = 1) -> None:
    """Deletes `topic` and creates it again under the same name: its offsets start over."""
    await admin.delete_topics([topic])

    async def created() -> bool:
        try:
            await create_served_topic(admin, topic, partitions)
        except TopicAlreadyExistsError:  # its deletion is not complete yet
            return False
        return True

    await poll_until(created, timeout_s=30, interval_s=0.1)
