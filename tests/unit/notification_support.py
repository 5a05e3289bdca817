"""A short notification history for unit tests: every notification event type, in order."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from domain.account import Account
from domain.notification_values import (
    ContactKind,
    ContactPoint,
    ContactSource,
    NotificationChannel,
    NotificationKind,
    ReceiptOutcome,
    Trigger,
    notification_id,
)

OPERATOR = "operator-1"
EMAIL = "client@example.ru"


def give_email(account: Account, at: datetime) -> None:
    """The client gave an e-mail address and agreed to e-mails."""
    account.record_contact_point(
        ContactPoint(kind=ContactKind.EMAIL, value=EMAIL, source=ContactSource.CLIENT, at=at),
        OPERATOR)
    account.record_consent(NotificationChannel.EMAIL, True, at, OPERATOR, None)


def request(
    account: Account, trigger: Trigger, at: datetime,
    channels: tuple[NotificationChannel, ...] = (NotificationChannel.EMAIL,),
    kind: NotificationKind = NotificationKind.ADMISSION_ACT,
) -> UUID:
    """Request a notification; its id."""
    account.request_notification(kind=kind, trigger=trigger, channels=channels,
                                 subject="Тема", text="Текст уведомления", at=at)
    return notification_id(account.id, trigger)


def add_notification_history(account: Account, at: datetime) -> None:
    """Consent given and withdrawn, a survey read, one not sent, one bounced."""
    give_email(account, at)
    account.record_consent(NotificationChannel.SMS, False, at, OPERATOR, "по телефону")
    survey = Trigger(rule="survey.send", ref="interaction:1", interaction_id=uuid4())
    sent = request(account, survey, at, kind=NotificationKind.SURVEY)
    account.record_sent(sent, "<1@ledger>", at)
    account.record_receipt(sent, ReceiptOutcome.DELIVERED, None, at)
    account.record_receipt(sent, ReceiptOutcome.READ, None, at)
    no_sms = Trigger(rule="survey.send", ref="interaction:2", interaction_id=uuid4())
    request(account, no_sms, at, (NotificationChannel.SMS,), NotificationKind.SURVEY)
    bounced = request(account, Trigger(rule="admission.act", ref="act-1"), at)
    account.record_sent(bounced, "<2@ledger>", at)
    account.record_receipt(bounced, ReceiptOutcome.BOUNCED, "550 no such user", at)
