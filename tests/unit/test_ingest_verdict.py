"""How an ingested message is judged from its commands' outcomes (adapters/channels/intake.py)."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
from concurrent.futures import Future

import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg

from adapters.channels.intake import Delivery, Verdict, verdict
from domain.errors import NotFoundError
from domain.ledger import Outcome


def answered_later(error: BaseException) -> Future[Outcome]:
    """A committer's future that fails a little after the message is judged."""
    future: Future[Outcome] = Future()
    threading.Timer(0.05, future.set_exception, (error,)).start()
    return future


class TestVerdict:
    def test_a_refusal_answered_later_is_judged_without_an_error_logged(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        def judge() -> Verdict:
            refused = NotFoundError("appeal 1999-999999 not found")
            delivery = Delivery(msg=Msg(Client()), futures=[answered_later(refused)])
            return asyncio.run(verdict(delivery))

        with caplog.at_level(logging.ERROR, logger="asyncio"):
            judged = judge()
            gc.collect()  # an unread asyncio future logs "exception was never retrieved" here

        assert judged is not None and not isinstance(judged, BaseException)
        assert "appeal 1999-999999" in judged.reason
        assert [r.getMessage() for r in caplog.records] == []
