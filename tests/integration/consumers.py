"""A REST consumer instance as its client sees it (the v2 consumer API over HTTP), for the
consumer tests: every call answers the raw response, or (the `must_` helpers) what a call
that must succeed gives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.clients import RawResponse, RestClient


@dataclass
class Consumer:
    rest: RestClient
    group: str
    name: str
    format: str = "json"

    @property
    def path(self) -> str:
        return f"/consumers/{self.group}/instances/{self.name}"

    @classmethod
    async def create(
        cls, rest: RestClient, group: str, base: str | None = None, **config: Any
    ) -> Consumer:
        """`base`: the root `base_uri` starts with (default: the one the client calls)."""
        answer = await rest.send("POST", f"/consumers/{group}", config)
        assert answer.status == 200, (answer.status, answer.body)
        name = answer.json()["instance_id"]
        root = base or rest.base
        assert answer.json()["base_uri"] == f"{root}/consumers/{group}/instances/{name}"
        return cls(rest, group, name, config.get("format", "binary"))

    async def call(self, method: str, tail: str, body: object = None) -> RawResponse:
        return await self.rest.send(method, self.path + tail, body)

    async def records(self, timeout_ms: int = 500, query: str = "") -> RawResponse:
        accept = f"application/vnd.kafka.{self.format}.v2+json"
        return await self.rest.send(
            "GET", f"{self.path}/records?timeout={timeout_ms}{query}", headers={"Accept": accept}
        )

    async def must(self, method: str, tail: str, body: object = None) -> Any:
        answer = await self.call(method, tail, body)
        assert answer.status in (200, 204), (method, tail, answer.status, answer.body)
        return answer.json() if answer.status == 200 else None

    async def read(self, count: int, attempts: int = 60) -> list[dict[str, Any]]:
        """Exactly `count` records (each request waits for them up to its timeout)."""
        found: list[dict[str, Any]] = []
        for _ in range(attempts):
            answer = await self.records()
            assert answer.status == 200, answer.body
            found.extend(answer.json())
            if len(found) >= count:
                break
        assert len(found) == count, found
        return found

    async def assigned(self) -> list[tuple[str, int]]:
        partitions = (await self.must("GET", "/assignments"))["partitions"]
        return [(p["topic"], p["partition"]) for p in partitions]

    async def wait_assigned(self, count: int, others: list[Consumer], attempts: int = 60) -> None:
        """Polls this instance and `others` (a group rebalances as its members poll) until
        this one holds `count` partitions; nothing may be read meanwhile."""
        for _ in range(attempts):
            for member in [self, *others]:
                answer = await member.records(timeout_ms=200)
                assert (answer.status, answer.json()) == (200, []), answer.body
            if len(await self.assigned()) == count:
                return
        raise AssertionError(f"{self.name} never held {count} partitions")

    async def delete(self) -> None:
        answer = await self.rest.send("DELETE", self.path)
        assert answer.status in (204, 404), answer.body
