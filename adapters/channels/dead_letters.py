"""Dead letters: a message the ledger refuses for good goes to `ledger.dlq.<channel>`, with why.

Refusals are the message's own fault (not JSON, wrong shape, or a request the ledger declines);
anything else (the database or NATS down) is transient and the message is retried instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import msgspec
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from adapters.nats.streams import Subjects
from domain.errors import InvalidTransitionError, NotFoundError, ValidationError

ERROR = "Ledger-Error"
"""Header: why the message was refused, naming the field path where there is one."""
ERROR_CODE = "Ledger-Error-Code"
"""Header: MALFORMED_JSON, VALIDATION, NOT_FOUND or INVALID_TRANSITION."""
ERROR_FIELD = "Ledger-Error-Field"
"""Header, when known: the message's field path at fault (`$.accountNumber`), or for the
ledger's own validation the command field it names (`channel`)."""
ORIGINAL_SUBJECT = "Ledger-Original-Subject"
ORIGINAL_SEQUENCE = "Ledger-Original-Sequence"
"""Header: the message's sequence in the ingest stream."""
TRUNCATED = "Ledger-Body-Truncated"
"""Header, only on a dead letter whose body was cut to fit the server's max payload: `true`."""
ORIGINAL_SIZE = "Ledger-Original-Size"
"""Header, with TRUNCATED: the original body's size in bytes."""

MAX_PAYLOAD = 1_048_576
"""The server's default max_payload, for a caller that does not know its client's."""
_HEADROOM = 512
"""Bytes kept free beyond the headers we count: nats-py adds `Nats-Expected-Stream`."""

_PATH = re.compile(r" - at `(\$[^`]*)`$")
_MISSING = re.compile(r"missing required field `([^`]+)`")
_MAX_HEADER = 1000


@dataclass(frozen=True)
class Rejection:
    """Why a message cannot be accepted, ever."""

    code: str
    reason: str
    field: str | None = None


def rejection_of(error: BaseException) -> Rejection | None:
    """The refusal an error means, or None when it is transient and the message is retried."""
    if isinstance(error, msgspec.ValidationError):
        return Rejection("VALIDATION", str(error), _field_of(str(error)))
    if isinstance(error, msgspec.DecodeError):
        reason = str(error) if "malformed" in str(error) else f"JSON is malformed: {error}"
        return Rejection("MALFORMED_JSON", reason)
    if isinstance(error, ValidationError):
        return Rejection(error.code, f"{error.message} (command field {error.field})",
                         error.field)
    if isinstance(error, NotFoundError | InvalidTransitionError):
        return Rejection(error.code, error.message)
    return None


def unreadable(error: Exception) -> Rejection:
    """Why a message that could not be decoded or mapped is refused. Decoding is the message's
    own doing, so whatever it raised it raises again on every redelivery: never transient."""
    known = rejection_of(error)
    if known is not None:
        return known
    if isinstance(error, RecursionError):
        return Rejection("MALFORMED_JSON", f"JSON is nested too deeply: {error}")
    return Rejection("VALIDATION", f"the message could not be read: {error!r}")


def _field_of(message: str) -> str | None:
    """msgspec's path (`- at `$.a.b``); a missing field is named after the object's path."""
    path = _PATH.search(message)
    where = path.group(1) if path else None
    missing = _MISSING.search(message)
    if missing is not None:
        return f"{where or '$'}.{missing.group(1)}"
    return where


def headers(rejection: Rejection, msg: Msg) -> dict[str, str]:
    """The dead letter's headers; its Nats-Msg-Id makes a repeated dead-lettering a duplicate."""
    meta = msg.metadata
    found = {
        ERROR: _one_line(rejection.reason),
        ERROR_CODE: rejection.code,
        ORIGINAL_SUBJECT: msg.subject,
        ORIGINAL_SEQUENCE: str(meta.sequence.stream),
        "Nats-Msg-Id": f"dlq:{meta.stream}:{meta.sequence.stream}",
    }
    if rejection.field is not None:
        found[ERROR_FIELD] = _one_line(rejection.field)
    return found


async def dead_letter(
    js: JetStreamContext, subjects: Subjects, channel: str, msg: Msg, rejection: Rejection,
    max_payload: int = MAX_PAYLOAD,
) -> None:
    """Keep the original body on the channel's dead-letter subject (acked by JetStream), cut
    if it and the headers would exceed `max_payload`: the server closes the connection on a
    message too large, and the refused message could never be dead-lettered and acked."""
    found = headers(rejection, msg)
    body = fitted(msg.data, found, max_payload)
    await js.publish(subjects.dlq(channel), body, headers=found, stream=subjects.dlq_stream)


def fitted(data: bytes, found: dict[str, str], max_payload: int) -> bytes:
    """The body, or its start with TRUNCATED and ORIGINAL_SIZE added to `found`, so that the
    body and headers stay within `max_payload`."""
    if len(data) + header_size(found) + _HEADROOM <= max_payload:
        return data
    found |= {TRUNCATED: "true", ORIGINAL_SIZE: str(len(data))}
    return data[: max(0, max_payload - header_size(found) - _HEADROOM)]


def header_size(found: dict[str, str]) -> int:
    """The bytes the headers take on the wire (`NATS/1.0`, a line each, a blank line)."""
    lines = [b"NATS/1.0", *(f"{k}: {v}".encode() for k, v in found.items()), b"", b""]
    return len(b"\r\n".join(lines))


def _one_line(text: str) -> str:
    """A header value: one line, bounded."""
    return " ".join(text.split())[:_MAX_HEADER]
