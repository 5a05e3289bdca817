"""The API served in this process as `ledger serve` serves it (uvicorn, real HTTP), for the
benchmarks that measure requests (their clients run in a process of their own)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from adapters.bootstrap import Services
from adapters.embedded import free_port
from adapters.settings import Settings
from api.app import create_app
from api.auth import TokenKeys


@contextmanager
def running_api(services: Services, settings: Settings, keys: TokenKeys) -> Iterator[str]:
    """The API on a free port until the block ends; its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(services, settings, keys), port=port,
                                           log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
