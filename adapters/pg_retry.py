"""One more try on another connection when the server had closed the pooled one.

A restart or failover of PostgreSQL leaves every idle connection of a pool dead, and the pool
only finds out when it hands one out: the first command after it failed with "terminating
connection due to administrator command". What goes through here is one statement, or a few
that are safe to run again, so a dead connection costs a retry instead of an error."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg
from psycopg import Connection
from psycopg_pool import ConnectionPool

T = TypeVar("T")


def on_live_connection(pool: ConnectionPool, work: Callable[[Connection[Any]], T]) -> T:
    """`work(conn)` on a pooled connection, again on a fresh one if that one was dead."""
    handed: Connection[Any] | None = None
    try:
        with pool.connection() as handed:
            return work(handed)
    except psycopg.OperationalError:
        if handed is None or not (handed.closed or handed.broken):  # not a dead connection
            raise
    with pool.connection() as conn:  # the pool dropped the dead one when it came back
        return work(conn)


def log_failed_round(log: logging.Logger, message: str, **extra: Any) -> None:
    """Log why a background loop's round failed, from inside its `except`: a lost connection
    (the server restarted) as one WARNING line, since the loop goes on by itself; anything
    else as an ERROR with its traceback."""
    error = sys.exc_info()[1]
    if isinstance(error, psycopg.OperationalError):
        log.warning(message, extra=extra | {"error": str(error).strip()})
    else:
        log.exception(message, extra=extra)
