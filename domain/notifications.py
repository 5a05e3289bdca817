"""A notification's lifecycle on its account: owed once per trigger, then sent, then receipts.

The account decides from its own history: a second request for the same trigger is no
request at all, and a receipt moves a notification only forward (a repeat is a no-op). A
pending notification stops (not sent) when consent for its channel is withdrawn or the
account's personal data is erased; a send already in flight then may still be recorded sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from domain.consent import Address, choose
from domain.errors import LedgerError, NotFoundError
from domain.notification_values import (
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
    ReceiptOutcome,
    Trigger,
)
from domain.values import Channel

if TYPE_CHECKING:
    from domain.account import Account

S = NotificationStatus
_RANK = {S.REQUESTED: 0, S.SENT: 1, S.DELIVERED: 2, S.READ: 3}
_FROM: dict[NotificationStatus, frozenset[NotificationStatus]] = {
    S.SENT: frozenset({S.REQUESTED, S.NOT_SENT}),
    S.NOT_SENT: frozenset({S.REQUESTED}),
    S.DELIVERED: frozenset({S.SENT}),
    S.READ: frozenset({S.SENT, S.DELIVERED}),
    S.FAILED: frozenset({S.SENT}),
}
"""Target status -> the statuses it may follow; reaching one already passed is a repeat.
SENT may follow NOT_SENT: a send in flight when the notification was stopped (consent
withdrawn, data erased) completed, and the ledger must say so. FAILED follows only SENT for a
receipt; the dispatcher's own refusal fails a REQUESTED one (`refuses`)."""
RECEIPT_STATUS = {
    ReceiptOutcome.DELIVERED: S.DELIVERED, ReceiptOutcome.TRANSFERRED: S.DELIVERED,
    ReceiptOutcome.READ: S.READ, ReceiptOutcome.FAILED: S.FAILED,
    ReceiptOutcome.BOUNCED: S.FAILED,
}


class NotificationTransitionError(LedgerError):
    """The notification's lifecycle does not allow the step in its current status."""

    code = "INVALID_TRANSITION"


@dataclass
class Notice:
    """A notification as its account's history made it: enough to decide its next step."""

    kind: NotificationKind
    trigger: Trigger
    channel: NotificationChannel | None
    status: NotificationStatus = S.REQUESTED


def moves(notice: Notice, notification_id: UUID, target: NotificationStatus) -> bool:
    """Whether the step is new (True), a repeat of one already taken (False), or refused."""
    if notice.status == target or _passed(notice.status, target):
        return False
    if notice.status not in _FROM[target]:
        raise NotificationTransitionError(
            f"notification {notification_id} is {notice.status.upper()}; "
            f"it cannot become {target.upper()}")
    return True


def refuses(notice: Notice, notification_id: UUID) -> bool:
    """Whether a gateway's refusal before sending fails the notification (True), changes
    nothing (a repeat, or it was stopped meanwhile: False), or is refused."""
    if notice.status in (S.FAILED, S.NOT_SENT):
        return False
    if notice.status is not S.REQUESTED:
        raise NotificationTransitionError(
            f"notification {notification_id} is {notice.status.upper()}; "
            "a gateway cannot refuse it before sending")
    return True


def pending(notices: dict[UUID, Notice], channel: NotificationChannel | None = None) -> (
        list[UUID]):
    """Requested notifications not sent yet (on one channel, if named): what an erasure or a
    withdrawal of consent stops."""
    return [nid for nid, notice in notices.items() if notice.status is S.REQUESTED
            and notice.channel is not None and channel in (None, notice.channel)]


def stopped_by_withdrawal(account: Account, channel: NotificationChannel) -> list[UUID]:
    """The pending notifications on a channel whose consent was just withdrawn: all of them,
    except a notice about an appeal received after the withdrawal (consent.choose's rule)."""
    return [nid for nid in pending(account.notices, channel)
            if _appeal_consent_gone(account, account.notices[nid], channel)]


def _appeal_consent_gone(account: Account, notice: Notice, channel: NotificationChannel) -> (
        bool):
    appeal = (None if notice.trigger.appeal_number is None
              else account.appeals.get(notice.trigger.appeal_number))
    return appeal is None or account.contacts.withdrawn_after(channel, appeal.received_at)


def _passed(current: NotificationStatus, target: NotificationStatus) -> bool:
    """A receipt overtaken by a later one (delivered after read) changes nothing."""
    return current in _RANK and target in _RANK and _RANK[current] > _RANK[target]


def plan(
    account: Account, notification_id: UUID, kind: NotificationKind, trigger: Trigger,
    channels: Sequence[NotificationChannel],
) -> Address | str | None:
    """Where a requested notification goes, why it cannot go anywhere, or None if not owed."""
    if notification_id in account.notices:
        return None
    appeal = None
    if trigger.appeal_number is not None:
        appeal = account.appeals.get(trigger.appeal_number)
        if appeal is None:
            raise NotFoundError(
                f"appeal {trigger.appeal_number} not found on account {account.number}")
    if kind is NotificationKind.OPERATOR_JOINED:
        if appeal is None or appeal.taken_up_at is None:
            return None  # the client was not told to wait: no operator-joined notice (9.1.5)
        if appeal.channel is not Channel.MOBILE_APP:  # push only to the app's own appeals
            channels = [c for c in channels if c is not NotificationChannel.PUSH]
    return choose(account.contacts, channels, account.number, appeal)
