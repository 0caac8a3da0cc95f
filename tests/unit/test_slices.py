"""Work in slices (core/slices.py): the slices that pause in one turn of the loop share its time."""

from __future__ import annotations

import asyncio
import time

from kafka_graphql.core import slices
from kafka_graphql.core.slices import MIN_SLICE_S, TURN_S, Slices


def slice_left(work: Slices) -> float:
    return work._until - time.perf_counter()


async def test_one_slice_alone_runs_a_whole_turn() -> None:
    work = Slices()
    await work.pause()
    await asyncio.sleep(0)  # a turn in which nothing else paused
    work.restart()
    assert TURN_S * 0.5 < slice_left(work) <= TURN_S
    assert not work.due()


async def test_slices_that_pause_together_share_the_turn() -> None:
    """Four pieces of work pausing in one turn get a quarter of it each in the next."""
    left: list[float] = []

    async def work() -> None:
        mine = Slices()
        await mine.pause()  # all four pause in the same turn
        await mine.pause()  # and again in the next: slices of a quarter each
        left.append(slice_left(mine))

    await asyncio.gather(*(work() for _ in range(4)))
    assert slices._turns().sliced == 4
    assert all(length <= TURN_S / 4 for length in left), left


async def test_many_slices_keep_a_floor() -> None:
    async def pausing(mine: Slices) -> None:
        await mine.pause()

    many = [Slices() for _ in range(100)]
    await asyncio.gather(*(pausing(s) for s in many))
    await asyncio.sleep(0)
    assert slices._turns().slice_s == MIN_SLICE_S
