"""Auto-informing campaigns (9.1.6): the commands, and what makes a new campaign acceptable."""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Annotated, ClassVar
from uuid import UUID

import msgspec

from domain.commands import AccountNumber, Command, Instant
from domain.errors import ValidationError
from domain.notification_values import NotificationChannel, NotificationKind
from domain.storable import check_storable
from domain.templates import TemplateBook
from domain.values import ShortText

MAX_RECIPIENTS = 1_000_000
FieldValue = Annotated[str, msgspec.Meta(max_length=500)]


class Recipient(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """One account on the list, with the figures its text needs (e.g. the debt amount)."""

    account_number: AccountNumber
    values: dict[str, FieldValue] = msgspec.field(default_factory=dict)


class CreateCampaign(Command, frozen=True, kw_only=True):
    """Store a scenario (template and channel), a recipient list and a window."""

    name: ShortText
    template: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    channel: NotificationChannel
    window_start: Instant
    window_end: Instant
    recipients: list[Recipient]


class CampaignCommand(Command, frozen=True, kw_only=True):
    """Start or cancel a campaign by its id."""

    campaign_id: UUID


def check_campaign(command: CreateCampaign, book: TemplateBook, now: datetime) -> None:
    """Refuse, naming the field, an unknown template, a window in the past, an empty list or
    text that cannot be stored."""
    check_storable(command, "input.")
    template = book.get(command.template, "input.template")
    if template.kind is not NotificationKind.CAMPAIGN:
        raise ValidationError(f"template {template.id} is not a campaign scenario",
                              "input.template")
    if command.channel not in template.channels:
        raise ValidationError(f"template {template.id} does not go through {command.channel}",
                              "input.channel")
    if command.window_end <= command.window_start:
        raise ValidationError("windowEnd must be later than windowStart", "input.windowEnd")
    if command.window_end <= now:
        raise ValidationError("the window is in the past", "input.windowEnd")
    _check_recipients(command, template.fields() - {"account_number"})


def _check_recipients(command: CreateCampaign, needed: set[str]) -> None:
    if not command.recipients:
        raise ValidationError("the recipient list is empty", "input.recipients")
    if len(command.recipients) > MAX_RECIPIENTS:
        raise ValidationError(f"at most {MAX_RECIPIENTS} recipients", "input.recipients")
    seen: set[str] = set()
    for index, recipient in enumerate(command.recipients):
        where = f"input.recipients[{index}]"
        if recipient.account_number in seen:
            raise ValidationError(f"account {recipient.account_number} is listed twice",
                                  f"{where}.accountNumber")
        seen.add(recipient.account_number)
        missing = sorted(needed - set(recipient.values))
        if missing:
            raise ValidationError(f"the template needs {', '.join(missing)}",
                                  f"{where}.values.{missing[0]}")


class AllowedHours(msgspec.Struct, frozen=True):
    """When auto-informing may reach clients, every day, on the office's clock. An overnight
    range (`21:00-09:00`) allows from its start to midnight and from midnight to its end."""

    opens: time
    closes: time
    """time(0) means midnight at the end of the day."""

    FORM: ClassVar[str] = "HH:MM-HH:MM, e.g. 09:00-21:00 (00:00-24:00: always)"

    @classmethod
    def parse(cls, text: str) -> AllowedHours:
        """From `09:00-21:00`; `00:00-24:00` is always. ValueError naming the expected form
        when it is not one, or when start and end are the same moment (empty or always?)."""
        found = _HOURS.match(text)
        if found is None:
            raise ValueError(f"{text!r} is not {cls.FORM}")
        opens, closes = (_clock(found[n]) for n in ("opens", "closes"))
        if opens is None or closes is None:
            raise ValueError(f"{text!r} is not {cls.FORM}; hours 00-23, minutes 00-59")
        if opens == closes and closes != time(0):
            raise ValueError(f"{text!r} starts and ends at the same time; {cls.FORM}")
        return cls(opens, closes)

    def allow(self, local: datetime) -> bool:
        """Whether a moment on the office's clock is inside the hours."""
        moment = local.time()
        if self.closes == time(0):
            return self.opens <= moment
        if self.opens < self.closes:
            return self.opens <= moment < self.closes
        return moment >= self.opens or moment < self.closes  # overnight


_HOURS = re.compile(r"^\s*(?P<opens>\d{2}:\d{2})\s*-\s*(?P<closes>\d{2}:\d{2})\s*$")


def _clock(text: str) -> time | None:
    """`HH:MM` as a time of day; `24:00` is midnight at the end of the day; None if not one."""
    if text == "24:00":
        return time(0)
    hours, minutes = int(text[:2]), int(text[3:])
    return time(hours, minutes) if hours < 24 and minutes < 60 else None
