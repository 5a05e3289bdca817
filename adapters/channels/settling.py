"""How a fetched message is settled: acked once stored, dead-lettered then acked, or nak'ed."""

from __future__ import annotations

import logging

from nats.aio.msg import Msg
from nats.js import JetStreamContext

from adapters.channels.dead_letters import MAX_PAYLOAD, Rejection, dead_letter
from adapters.channels.intake import Verdict
from adapters.nats.streams import Subjects

log = logging.getLogger("ledger.ingest")


async def settle(
    js: JetStreamContext, subjects: Subjects, channel: str, msg: Msg, judged: Verdict,
    retry_delay: float, max_payload: int = MAX_PAYLOAD,
) -> None:
    """Ack a stored message; dead-letter a refused one (cut to the client's `max_payload`),
    then ack it; nak a failed one (or one whose dead letter could not be published) so it
    comes back after `retry_delay` seconds."""
    where = {"channel": channel, "sequence": msg.metadata.sequence.stream,
             "delivered": msg.metadata.num_delivered}
    if isinstance(judged, Rejection):
        try:
            await dead_letter(js, subjects, channel, msg, judged, max_payload)
        except Exception as error:
            judged = error
        else:
            log.warning("message dead-lettered",
                        extra=where | {"code": judged.code, "reason": judged.reason})
    if isinstance(judged, BaseException):
        log.warning("message will be retried",
                    extra=where | {"error": repr(judged), "delay": retry_delay})
        await msg.nak(delay=retry_delay)
        return
    await msg.ack()


def log_batch(channel: str, outcome: list[Verdict]) -> None:
    """One structured line per batch: at INFO when anything was refused or retried."""
    counts = {
        "channel": channel, "messages": len(outcome),
        "stored": sum(v is None for v in outcome),
        "dead_lettered": sum(isinstance(v, Rejection) for v in outcome),
        "retried": sum(isinstance(v, BaseException) for v in outcome),
    }
    level = logging.DEBUG if counts["stored"] == len(outcome) else logging.INFO
    log.log(level, "ingest batch", extra=counts)
