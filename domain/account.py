"""The Account aggregate: every interaction and appeal of one account, in one stream."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain import events as ev
from domain import notification_values as nv
from domain import notifications as nt
from domain import personal_data as pd
from domain.appeal import Action, Appeal
from domain.consent import Address, ContactBook
from domain.errors import InvalidTransitionError, NotFoundError, ValidationError
from domain.identity import account_stream_id
from domain.values import (
    AccountKind,
    AppealForm,
    AppealStatus,
    AppealType,
    Channel,
    Contact,
    Direction,
    MeterReading,
    WithoutConsiderationReason,
)

Reference = Literal["interaction", "appeal"]
"""What an external id refers to: an interaction id or an appeal number."""


class Account(Aggregate):
    """A client's account (лицевой счёт / договор): decides on its own history alone."""

    class Opened(ev.AccountOpened):
        """Stored as Account.Opened."""

    class InteractionRecorded(ev.InteractionRecorded):
        """Stored as Account.InteractionRecorded."""

    class AppealRegistered(ev.AppealRegistered):
        """Stored as Account.AppealRegistered."""

    class AppealAssigned(ev.AppealAssigned):
        """Stored as Account.AppealAssigned."""

    class ClarificationRequested(ev.ClarificationRequested):
        """Stored as Account.ClarificationRequested."""

    class AppealDeferred(ev.AppealDeferred):
        """Stored as Account.AppealDeferred."""

    class AppealExtended(ev.AppealExtended):
        """Stored as Account.AppealExtended."""

    class AppealAnswered(ev.AppealAnswered):
        """Stored as Account.AppealAnswered."""

    class AppealClosed(ev.AppealClosed):
        """Stored as Account.AppealClosed."""

    class AppealLeftWithoutConsideration(ev.AppealLeftWithoutConsideration):
        """Stored as Account.AppealLeftWithoutConsideration."""

    class OutOfHoursReplied(ev.OutOfHoursReplied):
        """Stored as Account.OutOfHoursReplied."""

    class SlaAtRisk(ev.SlaAtRisk):
        """Stored as Account.SlaAtRisk."""

    class SlaBreached(ev.SlaBreached):
        """Stored as Account.SlaBreached."""

    class ContactPointRecorded(ev.ContactPointRecorded):
        """Stored as Account.ContactPointRecorded."""

    class ConsentGiven(ev.ConsentGiven):
        """Stored as Account.ConsentGiven."""

    class ConsentWithdrawn(ev.ConsentWithdrawn):
        """Stored as Account.ConsentWithdrawn."""

    class NotificationRequested(ev.NotificationRequested):
        """Stored as Account.NotificationRequested."""

    class NotificationNotSent(ev.NotificationNotSent):
        """Stored as Account.NotificationNotSent."""

    class NotificationSent(ev.NotificationSent):
        """Stored as Account.NotificationSent."""

    class NotificationDelivered(ev.NotificationDelivered):
        """Stored as Account.NotificationDelivered."""

    class NotificationRead(ev.NotificationRead):
        """Stored as Account.NotificationRead."""

    class NotificationFailed(ev.NotificationFailed):
        """Stored as Account.NotificationFailed."""

    class SurveySent(ev.SurveySent):
        """Stored as Account.SurveySent."""

    class SurveyNotSent(ev.SurveyNotSent):
        """Stored as Account.SurveyNotSent."""

    class PersonalDataErased(pd.PersonalDataErased):
        """Stored as Account.PersonalDataErased."""

    class LinkedToAccount(ev.LinkedToAccount):
        """Stored as Account.LinkedToAccount (unidentified contacts only)."""

    @staticmethod
    def create_id(number: str, kind: AccountKind = AccountKind.INDIVIDUAL) -> UUID:
        """The stream id follows from the account number, so any channel can find it."""
        return account_stream_id(number)

    @event(Opened)
    def __init__(self, number: str, kind: AccountKind) -> None:
        self.number = number
        self.kind = kind
        self.appeals: dict[str, Appeal] = {}
        self.external_refs: dict[tuple[Reference, Channel, str], str] = {}
        self.sla_marks: set[str] = set()
        self.contacts = ContactBook()
        self.notices: dict[UUID, nt.Notice] = {}
        self.linked_to: str | None = None

    # -- interactions -------------------------------------------------------------

    def record_interaction(self, **fields: Any) -> UUID:
        """Record a contact; the same channel + external reference is stored once."""
        existing = self.known_reference(
            "interaction", fields["channel"], fields.get("external_id")
        )
        if existing is not None:
            return UUID(existing)
        interaction_id = uuid5(self.id, f"interaction:{self.version}")
        self._check_callback(fields.setdefault("callback_at", None), fields["occurred_at"])
        self._check_end(fields.setdefault("ended_at", None), fields["occurred_at"])
        self._interaction_recorded(interaction_id=interaction_id, **fields)
        return interaction_id

    @event(InteractionRecorded)
    def _interaction_recorded(
        self,
        *,
        interaction_id: UUID,
        channel: Channel,
        direction: Direction,
        occurred_at: datetime,
        summary: str,
        operator: str | None,
        external_id: str | None,
        meter_reading: MeterReading | None,
        recorded_by: str,
        callback_at: datetime | None,
        ended_at: datetime | None,
    ) -> None:
        self._remember_reference("interaction", channel, external_id, str(interaction_id))

    @staticmethod
    def _check_callback(callback_at: datetime | None, occurred_at: datetime) -> None:
        """A call back is agreed for a later moment than the contact itself (8.2.3)."""
        if callback_at is not None and callback_at <= occurred_at:
            raise ValidationError("callbackAt must be later than occurredAt", "callbackAt")

    @staticmethod
    def _check_end(ended_at: datetime | None, occurred_at: datetime) -> None:
        """A contact ends when or after it begins."""
        if ended_at is not None and ended_at < occurred_at:
            raise ValidationError("endedAt must not be earlier than occurredAt", "endedAt")

    def known_reference(
        self, kind: Reference, channel: Channel, external_id: str | None
    ) -> str | None:
        """What an external reference of a channel was already stored as, if anything.

        Interactions and appeals are looked up apart: one e-mail may be both, by one id."""
        if external_id is None:
            return None
        return self.external_refs.get((kind, channel, external_id))

    def _remember_reference(
        self, kind: Reference, channel: Channel, external_id: str | None, ref: str
    ) -> None:
        if external_id is not None:
            self.external_refs[(kind, channel, external_id)] = ref

    # -- registering --------------------------------------------------------------

    def register_appeal(
        self, *, appeal_number: str, form: AppealForm | None, **fields: Any
    ) -> None:
        """Register a new appeal under a number allocated outside the aggregate."""
        if appeal_number in self.appeals:
            raise ValidationError(f"appeal {appeal_number} already exists", "appealNumber")
        self._appeal_registered(
            appeal_number=appeal_number,
            form=form or _default_form(fields["channel"]),
            **fields,
        )

    @event(AppealRegistered)
    def _appeal_registered(
        self,
        *,
        appeal_number: str,
        channel: Channel,
        appeal_type: AppealType,
        form: AppealForm,
        received_at: datetime,
        subject: str,
        text: str,
        contact: Contact | None,
        reply_channel: Channel | None,
        external_id: str | None,
        registered_by: str,
    ) -> None:
        self.appeals[appeal_number] = Appeal(
            number=appeal_number,
            channel=channel,
            appeal_type=appeal_type,
            form=form,
            received_at=received_at,
            contact=contact,
            reply_channel=reply_channel,
        )
        self._remember_reference("appeal", channel, external_id, appeal_number)

    def appeal(self, number: str) -> Appeal:
        """The appeal with this number, or NOT_FOUND."""
        try:
            return self.appeals[number]
        except KeyError:
            raise NotFoundError(f"appeal {number} not found on account {self.number}") from None

    def _transition(self, number: str, action: Action) -> Appeal:
        appeal = self.appeal(number)
        appeal.check_allows(action)
        return appeal

    # -- the lifecycle --------------------------------------------------------------

    def assign_appeal(self, number: str, assignee: str, at: datetime, by: str) -> None:
        """Hand the appeal to an assignee (or to another one)."""
        self._transition(number, Action.ASSIGN)
        self._assigned(appeal_number=number, at=at, by=by, assignee=assignee)

    @event(AppealAssigned)
    def _assigned(self, *, appeal_number: str, at: datetime, by: str, assignee: str) -> None:
        appeal = self.appeals[appeal_number]
        appeal.apply(Action.ASSIGN)
        appeal.assignee = assignee

    def request_clarification(self, number: str, note: str, at: datetime, by: str) -> None:
        """Ask the client for details; the appeal waits for the client."""
        self._transition(number, Action.REQUEST_CLARIFICATION)
        self._clarification_requested(appeal_number=number, at=at, by=by, note=note)

    @event(ClarificationRequested)
    def _clarification_requested(
        self, *, appeal_number: str, at: datetime, by: str, note: str
    ) -> None:
        self.appeals[appeal_number].apply(Action.REQUEST_CLARIFICATION)

    def defer_appeal(self, number: str, reason: str, at: datetime, by: str) -> None:
        """Leave the appeal for the next working day (9.1.5)."""
        self._transition(number, Action.DEFER)
        self._deferred(appeal_number=number, at=at, by=by, reason=reason)

    @event(AppealDeferred)
    def _deferred(self, *, appeal_number: str, at: datetime, by: str, reason: str) -> None:
        self.appeals[appeal_number].apply(Action.DEFER)

    def extend_appeal(self, number: str, reason: str, at: datetime, by: str) -> None:
        """Extend the review term once: a second extension would pass the 10-day cap."""
        appeal = self._transition(number, Action.EXTEND)
        if appeal.extended:
            raise InvalidTransitionError(
                number, appeal.status, Action.EXTEND,
                "already extended once; the term may not pass 10 working days (9.2.4)",
            )
        self._extended(appeal_number=number, at=at, by=by, reason=reason)

    @event(AppealExtended)
    def _extended(self, *, appeal_number: str, at: datetime, by: str, reason: str) -> None:
        self.appeals[appeal_number].extended = True

    def answer_appeal(
        self, number: str, channel: Channel, text: str, at: datetime, by: str
    ) -> None:
        """Answer through the channel the client chose for the reply (10.7)."""
        appeal = self._transition(number, Action.ANSWER)
        if appeal.reply_channel is not None and channel != appeal.reply_channel:
            raise ValidationError(
                f"appeal {number} must be answered through {appeal.reply_channel.upper()}, "
                f"the channel the client chose (10.7), not {channel.upper()}",
                "channel",
            )
        self._answered(appeal_number=number, at=at, by=by, channel=channel, text=text)

    @event(AppealAnswered)
    def _answered(
        self, *, appeal_number: str, at: datetime, by: str, channel: Channel, text: str
    ) -> None:
        appeal = self.appeals[appeal_number]
        appeal.apply(Action.ANSWER)
        appeal.answered_at = at

    def close_appeal(self, number: str, note: str, at: datetime, by: str) -> None:
        """Close an answered appeal."""
        self._transition(number, Action.CLOSE)
        self._closed(appeal_number=number, at=at, by=by, note=note)

    @event(AppealClosed)
    def _closed(self, *, appeal_number: str, at: datetime, by: str, note: str) -> None:
        self.appeals[appeal_number].apply(Action.CLOSE)

    def leave_without_consideration(
        self,
        number: str,
        reason: WithoutConsiderationReason,
        related_appeal_number: str | None,
        at: datetime,
        by: str,
    ) -> None:
        """Stop work on the merits for a reason of 8.4.5–8.4.8, checking that it holds."""
        appeal = self._transition(number, Action.LEAVE_WITHOUT_CONSIDERATION)
        self._check_reason(appeal, reason, related_appeal_number)
        self._left_without_consideration(
            appeal_number=number, at=at, by=by, reason=reason,
            related_appeal_number=related_appeal_number,
            notify_client=_notice_due(appeal, reason),
        )

    def _check_reason(
        self, appeal: Appeal, reason: WithoutConsiderationReason, related: str | None
    ) -> None:
        if reason is WithoutConsiderationReason.REPEATED:
            self._check_repeat_of(appeal, related)
        elif related is not None:
            raise ValidationError(
                "relatedAppealNumber is only for REPEATED appeals (8.4.7)", "relatedAppealNumber"
            )
        if reason is WithoutConsiderationReason.NO_CONTACT and appeal.contact is not None and (
            appeal.contact.reachable()
        ):
            raise InvalidTransitionError(
                appeal.number, appeal.status, Action.LEAVE_WITHOUT_CONSIDERATION,
                "the appeal has contact details, so NO_CONTACT does not apply (8.4.8)",
            )

    def _check_repeat_of(self, appeal: Appeal, related: str | None) -> None:
        if related is None or related == appeal.number:
            raise ValidationError(
                "a REPEATED appeal must name the earlier answered appeal (8.4.7)",
                "relatedAppealNumber",
            )
        earlier = self.appeals.get(related)
        if earlier is None or not earlier.is_settled:
            raise ValidationError(
                f"appeal {related} is not an answered appeal of account {self.number}",
                "relatedAppealNumber",
            )

    @event(AppealLeftWithoutConsideration)
    def _left_without_consideration(
        self,
        *,
        appeal_number: str,
        at: datetime,
        by: str,
        reason: WithoutConsiderationReason,
        related_appeal_number: str | None,
        notify_client: bool,
    ) -> None:
        self.appeals[appeal_number].apply(Action.LEAVE_WITHOUT_CONSIDERATION)

    # -- the online office out of hours and SLA marks (SLA.md) ------------------------

    def reply_out_of_hours(self, number: str, taken_up_at: datetime, at: datetime) -> None:
        """Tell the client of an out-of-hours appeal when it will be taken up (9.1.5)."""
        self.appeal(number)
        self._replied_out_of_hours(appeal_number=number, taken_up_at=taken_up_at, at=at)

    @event(OutOfHoursReplied)
    def _replied_out_of_hours(
        self, *, appeal_number: str, taken_up_at: datetime, at: datetime
    ) -> None:
        self.appeals[appeal_number].taken_up_at = taken_up_at

    def mark_sla_at_risk(
        self, *, timer_id: str, kind: str, appeal_number: str | None, threshold: float,
        at: datetime,
    ) -> bool:
        """Record a passed warning share once; False when recorded already or not owed."""
        if not self._mark_owed(f"{timer_id}@{threshold}", appeal_number, at):
            return False
        self._sla_at_risk(
            timer_id=timer_id, kind=kind, appeal_number=appeal_number, threshold=threshold, at=at
        )
        return True

    @event(SlaAtRisk)
    def _sla_at_risk(
        self, *, timer_id: str, kind: str, appeal_number: str | None, threshold: float,
        at: datetime,
    ) -> None:
        self.sla_marks.add(f"{timer_id}@{threshold}")

    def mark_sla_breached(
        self, *, timer_id: str, kind: str, appeal_number: str | None, due_at: datetime,
        at: datetime,
    ) -> bool:
        """Record a timer's breach once; False when recorded already or not owed."""
        if not self._mark_owed(f"{timer_id}@breach", appeal_number, at):
            return False
        self._sla_breached(
            timer_id=timer_id, kind=kind, appeal_number=appeal_number, due_at=due_at, at=at
        )
        return True

    @event(SlaBreached)
    def _sla_breached(
        self, *, timer_id: str, kind: str, appeal_number: str | None, due_at: datetime,
        at: datetime,
    ) -> None:
        self.sla_marks.add(f"{timer_id}@breach")

    def _mark_owed(self, key: str, appeal_number: str | None, at: datetime) -> bool:
        """Not yet recorded, and the appeal (if any) was still unanswered at that moment."""
        if key in self.sla_marks:
            return False
        if appeal_number is None:
            return True
        answered_at = self.appeal(appeal_number).answered_at
        return answered_at is None or answered_at > at

    # -- personal data (152-ФЗ) ----------------------------------------------------------

    def erase_personal_data(self, ground: str, at: datetime, by: str) -> None:
        """Record that the data key was destroyed, on a legal ground; contacts read as erased.

        Pending notifications are recorded not sent first: their addresses and texts are
        gone, and nothing may go to "[erased]" (nor may the read model ever show one of them
        requested with an erased address)."""
        self._stop_pending(nt.pending(self.notices), "personal data erased", at)
        self._personal_data_erased(ground=ground, at=at, by=by)

    @event(PersonalDataErased)
    def _personal_data_erased(self, *, ground: str, at: datetime, by: str) -> None:
        # what is replayed after the key is gone decodes erased: a cached state must agree
        for appeal in self.appeals.values():
            if appeal.contact is not None:
                appeal.contact = pd.erased_value(Contact)
        self.contacts.erase()

    # -- contacts, consent and notifications (domain/consent.py, domain/notifications.py) ----

    def record_contact_point(self, point: nv.ContactPoint, by: str) -> bool:
        """Record a way to reach the client; the same address from the same source, once."""
        if self.contacts.knows(point):
            return False
        self._contact_point_recorded(
            kind=point.kind, value=point.value, source=point.source, at=point.at, by=by)
        return True

    @event(ContactPointRecorded)
    def _contact_point_recorded(
        self, *, kind: nv.ContactKind, value: str, source: nv.ContactSource, at: datetime,
        by: str,
    ) -> None:
        self.contacts.points.append(nv.ContactPoint(kind=kind, value=value, source=source, at=at))

    def record_consent(
        self, via: nv.NotificationChannel, given: bool, at: datetime, by: str, note: str | None
    ) -> bool:
        """Give or withdraw consent for a channel; the state it is in already records nothing."""
        if via in self.contacts.consents and self.contacts.consented(via) == given:
            return False
        record = self._consent_given if given else self._consent_withdrawn
        record(via=via, at=at, by=by, note=note)
        if not given:  # a channel is used only with consent: what waits for it stops
            self._stop_pending(nt.stopped_by_withdrawal(self, via),
                               f"consent for {via} withdrawn", at)
        return True

    def _stop_pending(self, notification_ids: list[UUID], reason: str, at: datetime) -> None:
        """Record pending notifications not sent, with the reason (the dispatcher no longer
        sees them requested; one in flight may still be recorded sent)."""
        for notification_id in notification_ids:
            self.record_not_sent(notification_id, reason, at)

    @event(ConsentGiven)
    def _consent_given(
        self, *, via: nv.NotificationChannel, at: datetime, by: str, note: str | None
    ) -> None:
        self.contacts.consents[via] = (True, at)

    @event(ConsentWithdrawn)
    def _consent_withdrawn(
        self, *, via: nv.NotificationChannel, at: datetime, by: str, note: str | None
    ) -> None:
        self.contacts.consents[via] = (False, at)

    def request_notification(
        self, *, kind: nv.NotificationKind, trigger: nv.Trigger,
        channels: tuple[nv.NotificationChannel, ...], subject: str, text: str, at: datetime,
        withheld: str | None = None,
    ) -> bool:
        """Ask once per trigger for a notification on an allowed channel; with none allowed,
        or `withheld` (a stopped campaign's recipient), it is recorded as not sent, with the
        reason. False when it is not owed (any more)."""
        notification_id = nv.notification_id(self.id, trigger)
        where = nt.plan(self, notification_id, kind, trigger, channels)
        if where is None:
            return False
        if withheld is not None:
            where = withheld
        to = where if isinstance(where, Address) else None
        self._notification_requested(
            notification_id=notification_id, kind=kind, trigger=trigger,
            via=to.channel if to else None, recipient=to.recipient if to else None,
            subject=subject, text=text, at=at)
        if isinstance(where, str):
            self.record_not_sent(notification_id, where, at)
        return True

    @event(NotificationRequested)
    def _notification_requested(
        self, *, notification_id: UUID, kind: nv.NotificationKind, trigger: nv.Trigger,
        via: nv.NotificationChannel | None, recipient: str | None, subject: str, text: str,
        at: datetime,
    ) -> None:
        self.notices[notification_id] = nt.Notice(kind, trigger, via)

    def notice(self, notification_id: UUID) -> nt.Notice:
        """The notification with this id, or NOT_FOUND."""
        try:
            return self.notices[notification_id]
        except KeyError:
            raise NotFoundError(
                f"notification {notification_id} not found on account {self.number}") from None

    def record_not_sent(self, notification_id: UUID, reason: str, at: datetime) -> bool:
        """Record that a requested notification will not go out, and why (a survey's timer
        is then cancelled). False if it was recorded so already."""
        notice = self.notice(notification_id)
        if not nt.moves(notice, notification_id, nt.S.NOT_SENT):
            return False
        self._notification_not_sent(notification_id=notification_id, reason=reason, at=at)
        if notice.kind is nv.NotificationKind.SURVEY:
            self._survey_not_sent(notification_id=notification_id, at=at, reason=reason,
                                  **_survey_of(notice))
        return True

    @event(NotificationNotSent)
    def _notification_not_sent(self, *, notification_id: UUID, reason: str, at: datetime) -> None:
        self.notices[notification_id].status = nt.S.NOT_SENT

    @event(SurveyNotSent)
    def _survey_not_sent(
        self, *, notification_id: UUID, at: datetime, interaction_id: UUID | None,
        appeal_number: str | None, reason: str,
    ) -> None:
        pass

    def record_sent(self, notification_id: UUID, gateway_message_id: str, at: datetime) -> bool:
        """Record the gateway's acceptance (a survey's timer is then met); False if repeated.
        One stopped while its send was in flight is recorded sent too: it did go out."""
        notice = self.notice(notification_id)
        if notice.channel is None:  # never had a channel: no gateway can have taken it
            raise nt.NotificationTransitionError(
                f"notification {notification_id} is {notice.status.upper()}; "
                "it cannot become SENT")
        if not nt.moves(notice, notification_id, nt.S.SENT):
            return False
        self._notification_sent(notification_id=notification_id, at=at, via=notice.channel,
                                gateway_message_id=gateway_message_id)
        if notice.kind is nv.NotificationKind.SURVEY:
            self._survey_sent(notification_id=notification_id, at=at, **_survey_of(notice))
        return True

    @event(NotificationSent)
    def _notification_sent(
        self, *, notification_id: UUID, at: datetime, via: nv.NotificationChannel,
        gateway_message_id: str,
    ) -> None:
        self.notices[notification_id].status = nt.S.SENT

    @event(SurveySent)
    def _survey_sent(
        self, *, notification_id: UUID, at: datetime, interaction_id: UUID | None,
        appeal_number: str | None,
    ) -> None:
        pass

    def record_receipt(
        self, notification_id: UUID, outcome: nv.ReceiptOutcome, reason: str | None,
        at: datetime,
    ) -> bool:
        """Record what the gateway reported; a receipt overtaken by a later one is a no-op."""
        target = nt.RECEIPT_STATUS[outcome]
        if not nt.moves(self.notice(notification_id), notification_id, target):
            return False
        if target is nt.S.DELIVERED:
            transferred = outcome is nv.ReceiptOutcome.TRANSFERRED
            self._notification_delivered(
                notification_id=notification_id, at=at, transferred=transferred)
        elif target is nt.S.READ:
            self._notification_read(notification_id=notification_id, at=at)
        else:
            self._notification_failed(notification_id=notification_id, at=at,
                                      reason=reason or outcome.value,
                                      bounced=outcome is nv.ReceiptOutcome.BOUNCED)
        return True

    def record_refused(self, notification_id: UUID, reason: str, at: datetime) -> bool:
        """A gateway refused the message for good before taking it: it fails with the
        gateway's reason. False if recorded already, or stopped meanwhile."""
        if not nt.refuses(self.notice(notification_id), notification_id):
            return False
        self._notification_failed(notification_id=notification_id, at=at, reason=reason,
                                  bounced=False)
        return True

    @event(NotificationDelivered)
    def _notification_delivered(
        self, *, notification_id: UUID, at: datetime, transferred: bool
    ) -> None:
        self.notices[notification_id].status = nt.S.DELIVERED

    @event(NotificationRead)
    def _notification_read(self, *, notification_id: UUID, at: datetime) -> None:
        self.notices[notification_id].status = nt.S.READ

    @event(NotificationFailed)
    def _notification_failed(
        self, *, notification_id: UUID, at: datetime, reason: str, bounced: bool
    ) -> None:
        self.notices[notification_id].status = nt.S.FAILED

    # -- unidentified contacts (domain/unidentified.py) -----------------------------------

    def link_to_account(self, account_number: str, at: datetime, by: str) -> bool:
        """Tie an unidentified contact's stream to a client's account; the same link, once."""
        if self.kind is not AccountKind.UNIDENTIFIED:
            raise ValidationError(f"{self.number} is an account, not an unidentified contact",
                                  field="contactRef")
        if self.linked_to == account_number:
            return False
        self._linked_to_account(account_number=account_number, at=at, by=by)
        return True

    @event(LinkedToAccount)
    def _linked_to_account(self, *, account_number: str, at: datetime, by: str) -> None:
        self.linked_to = account_number

    def open_appeals(self) -> list[Appeal]:
        """Appeals still in work."""
        return [a for a in self.appeals.values() if a.status not in _FINAL]


_FINAL = frozenset(
    {AppealStatus.ANSWERED, AppealStatus.CLOSED, AppealStatus.LEFT_WITHOUT_CONSIDERATION}
)


def _default_form(channel: Channel) -> AppealForm:
    from domain.values import FORM_OF_CHANNEL

    return FORM_OF_CHANNEL[channel]


def _survey_of(notice: nt.Notice) -> dict[str, Any]:
    """What a survey's timer is found by: its contact or its appeal (sla_timers)."""
    return {"interaction_id": notice.trigger.interaction_id,
            "appeal_number": notice.trigger.appeal_number}


def _notice_due(appeal: Appeal, reason: WithoutConsiderationReason) -> bool:
    """Illegible letters and repeats are answered with a notice when the client is reachable."""
    if reason in (WithoutConsiderationReason.ILLEGIBLE, WithoutConsiderationReason.REPEATED):
        return appeal.contact is not None and appeal.contact.reachable()
    return False
