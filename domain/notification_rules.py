"""The rules that owe the client a notification, read as: this event, then this notice.

Pure: the follower that applies them passes the moment in. Each rule names its trigger, so
the account stores one request per trigger however often the rule is applied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import msgspec

from domain.calendar import BusinessCalendar
from domain.notification_commands import RequestNotification
from domain.notification_values import ANSWER_CHANNELS, NotificationKind, Trigger
from domain.sla import SlaPolicy
from domain.templates import TemplateBook
from domain.values import Channel, Direction, WithoutConsiderationReason

SURVEY = "survey.send"
"""The survey follows the SLA policy's timer of the same id: where it runs, a survey is owed."""
_K = NotificationKind


@dataclass(frozen=True)
class RuleBook:
    """What the rules need besides the event: templates, the SLA policy, calendar and links."""

    templates: TemplateBook
    policy: SlaPolicy
    calendar: BusinessCalendar
    survey_url: str
    chat_url: str

    def request(
        self, kind: NotificationKind, account_number: str, trigger: Trigger, at: datetime,
        **values: str,
    ) -> RequestNotification:
        """The request of a kind, its template rendered (the channels are the template's)."""
        template = self.templates.get(kind.value)
        subject, text = template.render({"account_number": account_number, **values})
        return RequestNotification(
            account_number=account_number, kind=kind, trigger=trigger,
            channels=template.channels, subject=subject, text=text, at=at)

    def day(self, instant: datetime) -> str:
        """A date as a client reads it: 12.03.2026, in the office's timezone."""
        return self.calendar.local_date(instant).strftime("%d.%m.%Y")


Rule = Callable[[RuleBook, Any, str, datetime], list[RequestNotification]]


def owed(
    book: RuleBook, event_type: str, event: Any, account_number: str, now: datetime
) -> list[RequestNotification]:
    """The notifications an event owes the client (none for most events)."""
    rule = RULES.get(event_type)
    return [] if rule is None else rule(book, event, account_number, now)


def survey_after_contact(
    book: RuleBook, event: Any, account: str, now: datetime
) -> list[RequestNotification]:
    """After a contact through the contact centre, an office or the online office (6.1.6)."""
    if event.direction is not Direction.INBOUND or not _survey_due(
            book, "InteractionRecorded", event.channel, event.ended, now):
        return []
    trigger = Trigger(rule=SURVEY, ref=f"interaction:{event.interaction_id}",
                      interaction_id=event.interaction_id)
    reference = event.external_id or str(event.interaction_id)
    return [book.request(_K.SURVEY, account, trigger, now, reference=reference,
                         date=book.day(event.occurred_at), survey_link=_link(
                             book.survey_url, reference))]


def survey_after_appeal(
    book: RuleBook, event: Any, account: str, now: datetime
) -> list[RequestNotification]:
    """The same survey, where the policy starts it on an appeal: its number is the reference."""
    rules = book.policy.rules_for("AppealRegistered", event.channel, event.appeal_type,
                                  event.form)
    if SURVEY not in {r.id for r in rules} or not _in_term(book, event.received_at, now):
        return []
    number = event.appeal_number
    trigger = Trigger(rule=SURVEY, ref=f"appeal:{number}", appeal_number=number)
    return [book.request(_K.SURVEY, account, trigger, now, reference=number,
                         date=book.day(event.received_at),
                         survey_link=_link(book.survey_url, number))]


def answer(book: RuleBook, event: Any, account: str, now: datetime) -> list[RequestNotification]:
    """The answer goes out through the reply channel, where the ledger delivers it (10.7)."""
    channel = ANSWER_CHANNELS.get(event.channel)
    if channel is None:
        return []
    number = event.appeal_number
    request = book.request(_K.APPEAL_ANSWER, account, Trigger(
        rule="appeal.answer", ref=number, appeal_number=number), now,
        appeal_number=number, answer=event.text)
    return [_through(request, channel)]


def not_considered(
    book: RuleBook, event: Any, account: str, now: datetime
) -> list[RequestNotification]:
    """An illegible letter (8.4.6) or a repeat (8.4.7) is answered with a notice."""
    if not event.notify_client:
        return []
    number, reason = event.appeal_number, event.reason
    kind = {WithoutConsiderationReason.ILLEGIBLE: _K.ILLEGIBLE_NOTICE,
            WithoutConsiderationReason.REPEATED: _K.REPEAT_NOTICE}.get(reason)
    if kind is None:
        return []
    trigger = Trigger(rule=f"appeal.{reason}", ref=number, appeal_number=number)
    related = {"related_appeal_number": event.related_appeal_number or ""}
    return [book.request(kind, account, trigger, now, appeal_number=number, **related)]


def operator_joined(
    book: RuleBook, event: Any, account: str, now: datetime
) -> list[RequestNotification]:
    """An operator took up an out-of-hours appeal: SMS or push with the chat link (9.1.5).
    Whether the appeal came out of hours is the account's to decide."""
    number = event.appeal_number
    trigger = Trigger(rule="operator.joined", ref=number, appeal_number=number)
    return [book.request(_K.OPERATOR_JOINED, account, trigger, now, appeal_number=number,
                         chat_link=_link(book.chat_url, number))]


def _survey_due(
    book: RuleBook, event_name: str, channel: Channel, ended: datetime, now: datetime
) -> bool:
    applies = SURVEY in {r.id for r in book.policy.rules_for(event_name, channel)}
    return applies and _in_term(book, ended, now)


def _in_term(book: RuleBook, ended: datetime, now: datetime) -> bool:
    """A survey later than its term would only puzzle the client (a history loaded late)."""
    return now < ended + timedelta(hours=book.policy.rule(SURVEY).term)


def _link(base: str, reference: str) -> str:
    return f"{base}{'&' if '?' in base else '?'}ref={quote(reference, safe='')}"


def _through(request: RequestNotification, channel: Any) -> RequestNotification:
    return msgspec.structs.replace(request, channels=(channel,))


RULES: dict[str, Rule] = {
    "InteractionRecorded": survey_after_contact,
    "AppealRegistered": survey_after_appeal,
    "AppealAnswered": answer,
    "AppealLeftWithoutConsideration": not_considered,
    "AppealAssigned": operator_joined,
}
"""Stored event type -> the rule it may trigger: the table a newcomer reads first."""
