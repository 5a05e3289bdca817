"""How a background loop logs a failed round (adapters/pg_retry.py): a lost connection, which
the loop rides out, in one line; anything else with its traceback."""

from __future__ import annotations

import logging

import psycopg
import pytest

from adapters.pg_retry import log_failed_round

log = logging.getLogger("test.rounds")


def fail_with(error: Exception) -> None:
    try:
        raise error
    except Exception:
        log_failed_round(log, "projection failed; retrying", projection="timeline")


def test_a_lost_connection_is_one_warning_line(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="test.rounds"):
        fail_with(psycopg.OperationalError("terminating connection due to administrator command\n"))

    [record] = caplog.records
    assert (record.levelname, record.exc_info) == ("WARNING", None)
    assert vars(record)["error"] == "terminating connection due to administrator command"
    assert vars(record)["projection"] == "timeline"


def test_any_other_failure_is_an_error_with_its_traceback(
    caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="test.rounds"):
        fail_with(KeyError("timer_id"))

    [record] = caplog.records
    assert record.levelname == "ERROR" and record.exc_info is not None
    assert record.exc_info[0] is KeyError and vars(record)["projection"] == "timeline"
