"""Contact centre telephony: calls, IVR meter readings, call backs agreed with the client."""

from __future__ import annotations

from typing import Any

from adapters.channels.base import (
    AccountNumber,
    ChannelMessage,
    Instant,
    Name,
    check_order,
    duration,
    meter_summary,
)
from domain import commands as c
from domain.errors import ValidationError
from domain.unidentified import UnidentifiedContact
from domain.unidentified_commands import RecordUnidentifiedInteraction
from domain.values import Channel, Direction, MeterReading

_CALL = {Direction.INBOUND: "Входящий звонок", Direction.OUTBOUND: "Исходящий звонок"}


class CallStarted(ChannelMessage, frozen=True, kw_only=True, tag="call_started"):
    """A call was answered; it is recorded once it ends, with its length and topic."""

    call_id: Name
    account_number: AccountNumber
    direction: Direction
    started_at: Instant
    caller_number: Name | None = None

    def to_commands(self) -> list[c.Command]:
        """Nothing yet: `call_ended` records the call, so a call is one timeline line."""
        return []


class _EndedCall(ChannelMessage, frozen=True, kw_only=True):
    """What every ended call reports, whoever's stream it goes to."""

    call_id: Name
    direction: Direction
    started_at: Instant
    ended_at: Instant
    topic: Name
    operator: Name | None = None

    def __post_init__(self) -> None:
        check_order(self.started_at, self.ended_at, "startedAt, endedAt")

    def recorded(self) -> dict[str, Any]:
        """The interaction's fields: a phone contact with its length, operator and topic."""
        summary = f"{_CALL[self.direction]}, {duration(self.started_at, self.ended_at)}: " \
            f"{self.topic}"
        return {"channel": Channel.PHONE, "direction": self.direction,
                "occurred_at": self.started_at, "ended_at": self.ended_at, "summary": summary,
                "operator": self.operator, "external_id": self.external_id}


class CallEnded(_EndedCall, frozen=True, kw_only=True, tag="call_ended"):
    """A call ended: one contact on the account, with its length, operator and topic."""

    account_number: AccountNumber

    def to_commands(self) -> list[c.Command]:
        """Record the call."""
        return [c.RecordInteraction(account_number=self.account_number, **self.recorded())]


class IvrMeterReading(ChannelMessage, frozen=True, kw_only=True, tag="ivr_meter_reading"):
    """A meter reading keyed in on the auto-informer (IVR) during a call."""

    call_id: Name
    account_number: AccountNumber
    occurred_at: Instant
    meter_reading: MeterReading

    def to_commands(self) -> list[c.Command]:
        """Record the reading as an inbound IVR contact."""
        return [c.RecordInteraction(
            account_number=self.account_number, channel=Channel.IVR,
            direction=Direction.INBOUND, occurred_at=self.occurred_at,
            summary=meter_summary("через автоинформатор", self.meter_reading),
            external_id=self.external_id, meter_reading=self.meter_reading,
        )]


class CallbackAgreed(ChannelMessage, frozen=True, kw_only=True, tag="callback_agreed"):
    """The operator agreed with the client when to call back (8.2.3): the SLA clock's moment."""

    call_id: Name
    account_number: AccountNumber
    agreed_at: Instant
    callback_at: Instant
    topic: Name
    operator: Name | None = None

    def __post_init__(self) -> None:
        check_order(self.agreed_at, self.callback_at, "agreedAt, callbackAt")

    def to_commands(self) -> list[c.Command]:
        """Record the agreement, carrying the agreed moment."""
        return [c.RecordInteraction(
            account_number=self.account_number, channel=Channel.PHONE,
            direction=Direction.INBOUND, occurred_at=self.agreed_at,
            summary=f"Согласован обратный звонок на {self.callback_at.isoformat()}: "
                    f"{self.topic}",
            operator=self.operator, external_id=self.external_id,
            callback_at=self.callback_at,
        )]


class UnknownCallEnded(_EndedCall, frozen=True, kw_only=True, tag="unknown_call_ended"):
    """A call from a number no account is known for: recorded in the caller's own stream
    (domain/unidentified.py), to be linked to an account once the client is identified."""

    caller_number: Name

    def __post_init__(self) -> None:
        super().__post_init__()
        try:
            UnidentifiedContact(phone=self.caller_number).key()
        except ValidationError as error:
            raise ValueError(f"callerNumber: {error.message}") from None

    def to_commands(self) -> list[c.Command]:
        """Record the call in the caller's stream."""
        caller = UnidentifiedContact(phone=self.caller_number)
        return [RecordUnidentifiedInteraction(account_number=caller.ref(), contact=caller,
                                              **self.recorded())]


PhoneMessage = CallStarted | CallEnded | IvrMeterReading | CallbackAgreed | UnknownCallEnded
"""Everything `ledger.ingest.phone` accepts, told apart by `kind`."""
