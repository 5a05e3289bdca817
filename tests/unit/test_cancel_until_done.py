"""A task that swallows a cancellation is cancelled again until it ends (the NATS client's
connect loop does so now and then, and a stop waited for it forever)."""

from __future__ import annotations

import asyncio
import threading

from adapters.nats.workers import cancel_until_done


def test_a_task_that_swallows_cancellations_still_ends() -> None:
    swallowed: list[int] = []

    async def stubborn() -> None:
        for attempt in range(3):
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                swallowed.append(attempt)  # as a retry loop that catches too much would
        await asyncio.sleep(3600)

    async def run() -> None:
        task = asyncio.create_task(stubborn())
        await asyncio.sleep(0)
        await cancel_until_done(task)
        ended.append(task.cancelled())

    ended: list[bool] = []
    thread = threading.Thread(target=asyncio.run, args=(run(),), daemon=True)
    thread.start()
    thread.join(timeout=5)  # a single cancel() would leave it waiting for the task forever

    assert ended == [True]
    assert swallowed == [0, 1, 2]
