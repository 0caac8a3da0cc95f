"""Consumer instances (the REST face's consumers): members of Kafka consumer groups that a
caller creates, uses request by request and deletes. Each belongs to the caller that made it
(any other is told it does not exist), is bound per caller and per process, and is closed when
idle for too long or when the gateway stops. What an instance reads: core/consumer_reads.py.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from kafka_graphql.core.auth.principal import Principal
from kafka_graphql.core.auth.scopes import ADMIN
from kafka_graphql.core.errors import Conflict, Forbidden, GatewayError, LimitExceeded, NotFound
from kafka_graphql.core.gateway import Core
from kafka_graphql.kafka.group_consumer import GroupConsumer, GroupOptions

log = logging.getLogger(__name__)
GROUP = "kafka:group:"
MAX_NAME = 249


class NoSuchConsumer(NotFound):
    """An instance that does not exist, was closed, or is another caller's (one answer)."""


class ConsumerExists(Conflict):
    """An instance of that name already exists in that group."""


class AlreadySubscribed(Conflict):
    """Subscribing an instance that has partitions assigned by hand, or the other way round."""


@dataclass(frozen=True, slots=True)
class InstanceSpec:
    """What a new instance is: its name (None: one is made up), the format its face shows
    records in (the core keeps it for the face), and how long a fetch waits by default."""

    name: str | None
    format: str
    fetch_timeout_s: float


@dataclass(slots=True, eq=False)
class Instance:
    group: str
    name: str
    owner: str
    spec: InstanceSpec
    consumer: GroupConsumer
    last_used: float
    # One request at a time uses the consumer (aiokafka's consumer is not for concurrent use).
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # The pattern the topics were subscribed by, if any (what a GET of the subscription shows).
    pattern: str | None = None
    assigned: bool = False


def check_group(core: Core, principal: Principal, group: str) -> str:
    """`group` if the caller may use it: a scope `kafka:group:<glob>` that matches it, or
    `kafka:admin` (any group without `[auth]`); FORBIDDEN otherwise."""
    if not group or len(group) > MAX_NAME:
        raise Forbidden("a group is a name of 1 to 249 characters")
    if core.settings.auth is None or ADMIN in principal.scopes:
        return group
    for scope in principal.scopes:
        if scope.startswith(GROUP) and fnmatchcase(group, scope[len(GROUP) :]):
            return group
    raise Forbidden(f"no permission to use consumer group {group!r}")


class ConsumerInstances:
    """Every consumer instance of the process, by (group, name)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._instances: dict[tuple[str, str], Instance] = {}
        self._clock = clock

    def __iter__(self) -> Iterator[Instance]:
        return iter(list(self._instances.values()))

    async def create(
        self,
        core: Core,
        principal: Principal,
        options: GroupOptions,
        spec: InstanceSpec,
    ) -> Instance:
        group = check_group(core, principal, options.group)
        name = spec.name or f"rest-consumer-{uuid.uuid4().hex}"
        if (group, name) in self._instances:
            raise ConsumerExists(f"Consumer with specified consumer ID {name!r} already exists")
        self._check_room(core, principal)
        consumer = core.kafka.group_consumer(options)
        instance = Instance(group, name, principal.id, spec, consumer, self._clock())
        # Held while it starts: a second create of the same name is refused meanwhile.
        self._instances[(group, name)] = instance
        try:
            await consumer.start()
        except BaseException:
            self._instances.pop((group, name), None)
            raise
        return instance

    def _check_room(self, core: Core, principal: Principal) -> None:
        rest = core.settings.rest
        if len(self._instances) >= rest.max_consumer_instances:
            raise LimitExceeded(
                f"the gateway holds its most consumer instances ({rest.max_consumer_instances})"
                "; delete one, or try again later"
            )
        mine = sum(1 for i in self._instances.values() if i.owner == principal.id)
        if mine >= rest.max_consumer_instances_per_principal:
            raise LimitExceeded(
                f"at most {rest.max_consumer_instances_per_principal} consumer instances per "
                "caller; delete one first"
            )

    def get(self, principal: Principal, group: str, name: str) -> Instance:
        """The caller's instance, marked used now; NoSuchConsumer for any other."""
        instance = self._instances.get((group, name))
        if instance is None or instance.owner != principal.id:
            raise NoSuchConsumer("Consumer instance not found.")
        instance.last_used = self._clock()
        return instance

    def find(self, group: str, name: str) -> Instance | None:
        """The instance, whoever's it is (for operators and tests: not marked used)."""
        return self._instances.get((group, name))

    async def delete(self, principal: Principal, group: str, name: str) -> None:
        instance = self.get(principal, group, name)
        self._instances.pop((group, name), None)
        async with instance.lock:
            await instance.consumer.close()

    async def reap(self, idle_s: float) -> int:
        """Closes every instance not used for `idle_s`; how many it closed."""
        now = self._clock()
        idle = [i for i in self._instances.values() if now - i.last_used >= idle_s]
        for instance in idle:
            if self._instances.get((instance.group, instance.name)) is instance:
                del self._instances[(instance.group, instance.name)]
                async with instance.lock:  # a request that still uses it ends first
                    with suppress(GatewayError):
                        await instance.consumer.close()
        return len(idle)

    async def run_reaper(self, idle_s: float) -> None:
        """Reaps idle instances until cancelled (looks at least every tenth of `idle_s`)."""
        while True:
            await asyncio.sleep(min(max(idle_s / 10, 0.05), 5.0))
            try:
                await self.reap(idle_s)
            except Exception:  # the reaper outlives what one instance's close may raise
                log.exception("closing idle consumer instances failed")

    async def close(self) -> None:
        """Shutdown: every instance closed (each leaves its group)."""
        instances, self._instances = list(self._instances.values()), {}
        for instance in instances:
            with suppress(GatewayError):
                await instance.consumer.close()
