"""A record's place in a batch, named as its face names the batch."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Item:
    """Record `index` of the batch the caller sent as `batch` (GraphQL's `messages` argument, the
    REST body's `records`): a refusal names it the way the caller wrote it, `records[3]`."""

    batch: str
    index: int

    def __str__(self) -> str:
        return f"{self.batch}[{self.index}]"

    @property
    def path(self) -> tuple[str, int]:
        return (self.batch, self.index)
