"""The NATS side of a process: one thread, one event loop, one connection, several workers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from nats.aio.client import Client
from nats.js import JetStreamContext

from adapters.nats.streams import Subjects, connect, ensure_streams
from adapters.settings import Settings

log = logging.getLogger("ledger.nats")

Worker = Callable[[Client, JetStreamContext, asyncio.Event], Coroutine[Any, Any, None]]
"""A coroutine that works until its stop event is set (publisher, channel consumers)."""

FIRST_RESTART_DELAY = 1.0
MAX_RESTART_DELAY = 30.0
STEADY_SECONDS = 60.0
"""A worker that failed after running this long is restarted after the first delay again."""


async def run_workers(
    url: str, settings: Settings, workers: list[Worker], stop: threading.Event
) -> None:
    """Connect, make sure the streams exist, and run the workers until `stop` is set."""
    client = await _connected(url, stop)
    if client is None:
        return
    js = client.jetstream()
    await ensure_streams(js, Subjects.of(settings), settings)
    stopping = asyncio.Event()
    tasks = [asyncio.create_task(supervised(worker, client, js, stopping)) for worker in workers]
    while not stop.is_set():
        await asyncio.sleep(0.2)
    stopping.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    await client.drain()


async def supervised(
    worker: Worker, client: Client, js: JetStreamContext, stopping: asyncio.Event,
    first_delay: float = FIRST_RESTART_DELAY,
) -> None:
    """Run a worker until it returns or `stopping` is set; a failure is logged once, with its
    traceback, and the worker restarted after a delay doubling up to MAX_RESTART_DELAY, so a
    transient failure (a poison message, a lost connection) does not stop a channel for good
    while the process looks healthy."""
    loop, delay = asyncio.get_running_loop(), first_delay
    while not stopping.is_set():
        started = loop.time()
        try:
            await worker(client, js, stopping)
            return
        except Exception:
            if loop.time() - started >= STEADY_SECONDS:
                delay = first_delay
            log.exception("nats worker failed", extra={"worker": _name(worker),
                                                       "restart_in": delay})
        await _sleep_unless(stopping, delay)
        delay = min(2 * delay, MAX_RESTART_DELAY)


def _name(worker: Worker) -> str:
    return getattr(worker, "__qualname__", repr(worker))


async def _sleep_unless(stopping: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), seconds)


async def _connected(url: str, stop: threading.Event) -> Client | None:
    """The client once connected; None if stopped first. The client retries an unreachable
    server forever, and waiting for it held `ledger serve`'s shutdown until the thread's
    join gave up (10 s) while NATS was down."""
    connecting = asyncio.create_task(connect(url))
    while not connecting.done():
        if stop.is_set():
            await cancel_until_done(connecting)
            return None
        await asyncio.wait({connecting}, timeout=0.2)
    return connecting.result()


async def cancel_until_done(task: asyncio.Task[Any]) -> None:
    """Cancel until the task ends: the client's connect loop can swallow a cancellation and
    go on retrying (under CPU load one stop in three hung so, waiting for it forever)."""
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=0.05)
    if not task.cancelled() and task.exception() is None:
        await task.result().close()  # connected just as it was stopped


def start_workers_thread(
    url: str, settings: Settings, workers: list[Worker], stop: threading.Event
) -> threading.Thread:
    """Run the workers in a background thread with its own event loop."""

    def target() -> None:
        asyncio.run(run_workers(url, settings, workers, stop))

    thread = threading.Thread(target=target, name="nats-workers", daemon=True)
    thread.start()
    return thread
