"""How a long-running `ledger` part stops: SIGINT or SIGTERM, then a structured line."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable

from adapters.bootstrap import Services

log = logging.getLogger("ledger.cli")


def run_until_signalled(
    services: Services, part: str, run: Callable[[threading.Event], None] | None = None
) -> None:
    """Run `run(stop)` in this thread (or just wait) until SIGINT or SIGTERM sets the services'
    stop; the log says when the part started and when it stops (its threads, then servers)."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: services.stop.set())
    log.info("running", extra={"part": part})
    if run is None:
        services.stop.wait()
    else:
        run(services.stop)
    log.info("stopping", extra={"part": part})
