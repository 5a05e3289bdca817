"""One decider per command: how the Ledger turns a command into the account's decision."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain import commands as c
from domain.account import Account
from domain.errors import NotFoundError, ValidationError
from domain.notification_deciders import NOTIFICATION_DECIDERS
from domain.unidentified_deciders import UNIDENTIFIED_DECIDERS

if TYPE_CHECKING:
    from domain.ledger import Ledger, Outcome, Request


@dataclass(frozen=True)
class Decision:
    """What the account decided for one command, before the position is known."""

    account_id: UUID
    account_number: str
    appeal_number: str | None = None
    interaction_id: UUID | None = None
    duplicate: bool = False

    def outcome(self, position: int) -> Outcome:
        """The caller's answer once the decision is stored."""
        from domain.ledger import Outcome

        return Outcome(
            position=position,
            account_number=self.account_number,
            appeal_number=self.appeal_number,
            interaction_id=self.interaction_id,
            duplicate=self.duplicate,
        )


def record_interaction(ledger: Ledger, account: Account, request: Request) -> Decision:
    """Record the contact unless its channel + external id is already there."""
    cmd = request.command
    assert isinstance(cmd, c.RecordInteraction)
    known = account.known_reference("interaction", cmd.channel, cmd.external_id)
    interaction_id = account.record_interaction(
        channel=cmd.channel, direction=cmd.direction, occurred_at=cmd.occurred_at,
        summary=cmd.summary, operator=cmd.operator, external_id=cmd.external_id,
        meter_reading=cmd.meter_reading, recorded_by=request.actor,
        callback_at=cmd.callback_at, ended_at=cmd.ended_at,
    )
    return Decision(
        account.id, account.number, interaction_id=interaction_id, duplicate=known is not None
    )


def register_appeal(ledger: Ledger, account: Account, request: Request) -> Decision:
    """Register the appeal under a new number, or return the one its external id has."""
    cmd = request.command
    assert isinstance(cmd, c.RegisterAppeal)
    known = account.known_reference("appeal", cmd.channel, cmd.external_id)
    if known is not None:
        return Decision(account.id, account.number, appeal_number=known, duplicate=True)
    number = ledger.allocate_appeal_number(request, account, office_year(ledger, cmd.received_at))
    account.register_appeal(
        appeal_number=number, form=cmd.form, channel=cmd.channel, appeal_type=cmd.type,
        received_at=cmd.received_at, subject=cmd.subject, text=cmd.text, contact=cmd.contact,
        reply_channel=cmd.reply_channel, external_id=cmd.external_id,
        registered_by=request.actor,
    )
    taken_up_at = ledger.taken_up_at(cmd.channel, cmd.received_at)
    if taken_up_at is not None:
        account.reply_out_of_hours(number, taken_up_at, cmd.received_at)
    return Decision(account.id, account.number, appeal_number=number)


def office_year(ledger: Ledger, received_at: datetime) -> int:
    """An appeal number's year is the office's calendar year: a letter stamped 23:30 UTC on
    31 December is received on 1 January in Moscow, whatever offset the channel wrote."""
    if ledger.calendar is None:
        return received_at.year
    return received_at.astimezone(ledger.calendar.tz).year


def mark_sla(ledger: Ledger, account: Account, request: Request) -> Decision:
    """Record an SLA clock's mark once, after its moment; a repeat is a no-op duplicate."""
    cmd = request.command
    assert isinstance(cmd, c.MarkSlaAtRisk | c.MarkSlaBreached)
    if _just_opened(account):
        raise NotFoundError(f"account {cmd.account_number} has no timers")
    if cmd.at > request.now:
        raise ValidationError("an SLA mark is recorded only once its moment has passed", "at")
    fields: dict[str, Any] = {
        "timer_id": cmd.timer_id, "kind": cmd.kind, "appeal_number": cmd.appeal_number,
        "at": cmd.at,
    }
    if isinstance(cmd, c.MarkSlaAtRisk):
        recorded = account.mark_sla_at_risk(threshold=cmd.threshold, **fields)
    else:
        recorded = account.mark_sla_breached(due_at=cmd.due_at, **fields)
    return Decision(
        account.id, account.number, appeal_number=cmd.appeal_number, duplicate=not recorded
    )


def erase_personal_data(ledger: Ledger, account: Account, request: Request) -> Decision:
    """Record the erasure (the data key is destroyed before); an unknown account is NOT_FOUND."""
    cmd = request.command
    assert isinstance(cmd, c.ErasePersonalData)
    if _just_opened(account):
        raise NotFoundError(f"account {cmd.account_number} not found")
    account.erase_personal_data(cmd.ground, request.now, request.actor)
    return Decision(account.id, account.number)


def _just_opened(account: Account) -> bool:
    """Created by this very command: there is no history to mark."""
    return any(isinstance(e, Account.Opened) for e in account.pending_events)


def _on_appeal(act: Callable[[Account, Any, Request], None]) -> Callable[..., Decision]:
    """A decider for a command on an existing appeal: act, then report the appeal."""

    def decide(ledger: Ledger, account: Account, request: Request) -> Decision:
        cmd = request.command
        assert isinstance(cmd, c.AppealCommand)
        act(account, cmd, request)
        return Decision(account.id, account.number, appeal_number=cmd.appeal_number)

    return decide


def _at(cmd: c.AppealCommand, request: Request) -> Any:
    return cmd.at or request.now


DECIDERS: dict[type[c.Command], Callable[[Ledger, Account, Request], Decision]] = {
    c.RecordInteraction: record_interaction,
    c.RegisterAppeal: register_appeal,
    c.AssignAppeal: _on_appeal(lambda a, cmd, r: a.assign_appeal(
        cmd.appeal_number, cmd.assignee, _at(cmd, r), r.actor)),
    c.RequestClarification: _on_appeal(lambda a, cmd, r: a.request_clarification(
        cmd.appeal_number, cmd.note, _at(cmd, r), r.actor)),
    c.DeferAppeal: _on_appeal(lambda a, cmd, r: a.defer_appeal(
        cmd.appeal_number, cmd.reason, _at(cmd, r), r.actor)),
    c.ExtendAppeal: _on_appeal(lambda a, cmd, r: a.extend_appeal(
        cmd.appeal_number, cmd.reason, _at(cmd, r), r.actor)),
    c.AnswerAppeal: _on_appeal(lambda a, cmd, r: a.answer_appeal(
        cmd.appeal_number, cmd.channel, cmd.text, _at(cmd, r), r.actor)),
    c.CloseAppeal: _on_appeal(lambda a, cmd, r: a.close_appeal(
        cmd.appeal_number, cmd.note, _at(cmd, r), r.actor)),
    c.LeaveWithoutConsideration: _on_appeal(lambda a, cmd, r: a.leave_without_consideration(
        cmd.appeal_number, cmd.reason, cmd.related_appeal_number, _at(cmd, r), r.actor)),
    c.MarkSlaAtRisk: mark_sla,
    c.MarkSlaBreached: mark_sla,
    c.ErasePersonalData: erase_personal_data,
    **NOTIFICATION_DECIDERS,
    **UNIDENTIFIED_DECIDERS,
}
"""Command type -> decider: the table a newcomer reads to follow a command to its event."""
