"""Deciders of the contact, consent and notification commands (joined into `DECIDERS`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from domain import notification_commands as n
from domain.account import Account
from domain.commands import Command
from domain.errors import NotFoundError
from domain.notification_values import ContactPoint

if TYPE_CHECKING:
    from domain.deciders import Decision
    from domain.ledger import Ledger, Request


def _decision(account: Account, recorded: bool) -> Decision:
    from domain.deciders import Decision  # deciders imports this module to build its table

    return Decision(account.id, account.number, duplicate=not recorded)


def _known(account: Account) -> Account:
    """Notifications are for accounts with a history; a new stream is NOT_FOUND."""
    if any(isinstance(e, Account.Opened) for e in account.pending_events):
        raise NotFoundError(f"account {account.number} not found")
    return account


def record_contact_point(ledger: Ledger, account: Account, request: Request) -> Decision:
    """Record the address unless the same one from the same source is there."""
    cmd = request.command
    assert isinstance(cmd, n.RecordContactPoint)
    point = ContactPoint(kind=cmd.kind, value=cmd.value, source=cmd.source,
                         at=cmd.at or request.now)
    return _decision(account, account.record_contact_point(point, request.actor))


def record_consent(ledger: Ledger, account: Account, request: Request) -> Decision:
    """Give or withdraw consent for a channel; the same state again is a duplicate."""
    cmd = request.command
    assert isinstance(cmd, n.RecordConsent)
    recorded = account.record_consent(
        cmd.channel, cmd.given, cmd.at or request.now, request.actor, cmd.note)
    return _decision(account, recorded)


def request_notification(ledger: Ledger, account: Account, request: Request) -> Decision:
    """Request once per trigger; a repeat (or a notice not owed) is a duplicate."""
    cmd = request.command
    assert isinstance(cmd, n.RequestNotification)
    recorded = _known(account).request_notification(
        kind=cmd.kind, trigger=cmd.trigger, channels=cmd.channels, subject=cmd.subject,
        text=cmd.text, at=cmd.at, withheld=cmd.withheld)
    return _decision(account, recorded)


def record_step(ledger: Ledger, account: Account, request: Request) -> Decision:
    """Sent, not sent, refused or a receipt: moves the notification on; a repeat is a duplicate."""
    cmd = request.command
    _known(account)
    if isinstance(cmd, n.RecordNotificationSent):
        recorded = account.record_sent(cmd.notification_id, cmd.gateway_message_id, cmd.at)
    elif isinstance(cmd, n.RecordNotificationNotSent):
        recorded = account.record_not_sent(cmd.notification_id, cmd.reason, cmd.at)
    elif isinstance(cmd, n.RecordNotificationRefused):
        recorded = account.record_refused(cmd.notification_id, cmd.reason, cmd.at)
    else:
        assert isinstance(cmd, n.RecordReceipt)
        recorded = account.record_receipt(cmd.notification_id, cmd.outcome, cmd.reason, cmd.at)
    return _decision(account, recorded)


NOTIFICATION_DECIDERS: dict[type[Command], Callable[[Ledger, Account, Request], Decision]] = {
    n.RecordContactPoint: record_contact_point,
    n.RecordConsent: record_consent,
    n.RequestNotification: request_notification,
    n.RecordNotificationSent: record_step,
    n.RecordNotificationNotSent: record_step,
    n.RecordNotificationRefused: record_step,
    n.RecordReceipt: record_step,
}
"""Command type -> decider, for the commands of contacts, consent and notifications."""
