"""A redelivered appeal action stores nothing new: its account's log already holds it.

Account commands are idempotent in the domain through channel + external id; actions on an
appeal (assign, defer...) carry no external id, so a redelivery is recognised by the same
action on the same appeal at the same moment already being in the log.
"""

from __future__ import annotations

from domain import commands as c
from domain import events as ev
from domain.ledger import Ledger

_EVENTS: dict[type[c.Command], type[ev.AppealEvent]] = {
    c.AssignAppeal: ev.AppealAssigned,
    c.RequestClarification: ev.ClarificationRequested,
    c.DeferAppeal: ev.AppealDeferred,
    c.ExtendAppeal: ev.AppealExtended,
    c.AnswerAppeal: ev.AppealAnswered,
    c.CloseAppeal: ev.AppealClosed,
    c.LeaveWithoutConsideration: ev.AppealLeftWithoutConsideration,
}


def already_stored(ledger: Ledger, command: c.Command) -> bool:
    """Whether this appeal action, at this moment, is already in the log (reads the account)."""
    event_type = _EVENTS.get(type(command))
    if event_type is None or not isinstance(command, c.AppealCommand) or command.at is None:
        return False
    account_id = ledger.numbers.locate(command.appeal_number)
    if account_id is None:
        return False
    return any(
        isinstance(event, event_type)
        and event.appeal_number == command.appeal_number
        and event.at == command.at
        for event in ledger.events.get(account_id)
    )
