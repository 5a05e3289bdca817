"""The shape of an SLA timer rule and of a versioned policy: data an operator can read and change.

The default table is `domain.sla.DEFAULT_POLICY`; a JSON file of the same shape replaces it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import msgspec

from domain.values import FORM_OF_CHANNEL, AppealForm, AppealStatus, AppealType, Channel

EventName = Annotated[str, msgspec.Meta(pattern=r"^[A-Z][A-Za-z]+$")]
RuleId = Annotated[str, msgspec.Meta(pattern=r"^[a-z_]+(\.[a-z_]+)+$")]
Share = Annotated[float, msgspec.Meta(gt=0, lt=1)]


class TermUnit(StrEnum):
    """How a term is measured (SLA.md, Counting)."""

    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    HOURS = "hours"
    AGREED = "agreed"


class CountedFrom(StrEnum):
    """Which moment a term runs from: the appeal's receipt, or the event that starts it."""

    RECEIPT = "receipt"
    EVENT = "event"


class TimerRule(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One timer of the standard: what starts it, for which appeals, how long it runs."""

    id: RuleId
    starts_on: EventName
    channels: tuple[Channel, ...] = ()
    appeal_types: tuple[AppealType, ...] = ()
    forms: tuple[AppealForm, ...] = ()
    term: Annotated[int, msgspec.Meta(ge=0)]
    unit: TermUnit
    counted_from: CountedFrom = CountedFrom.EVENT
    warn_at: tuple[Share, ...] = (0.7, 0.9)
    stops_on: tuple[EventName, ...] = ()
    cancelled_on: tuple[EventName, ...] = ()
    met_after_cancel: bool = False
    """A stop event after a cancellation still meets the timer: a survey stopped while its
    send was in flight went out after all (SurveyNotSent, then SurveySent)."""
    pauses_in: tuple[AppealStatus, ...] = ()
    clause: str = ""

    def __post_init__(self) -> None:
        if self.unit is not TermUnit.AGREED and self.term < 1:
            raise ValueError(f"rule {self.id}: a term in {self.unit} must be at least 1")
        if list(self.warn_at) != sorted(set(self.warn_at)):
            raise ValueError(f"rule {self.id}: warn_at must be increasing, got {self.warn_at}")

    def applies_to(
        self, event_name: str, channel: Channel, appeal_type: AppealType | None, form: AppealForm
    ) -> bool:
        """Whether this event, on this channel, for this appeal starts the timer; empty = any."""
        return (
            self.starts_on == event_name
            and _allows(self.channels, channel)
            and _allows(self.appeal_types, appeal_type)
            and _allows(self.forms, form)
        )


def _allows(allowed: tuple[object, ...], value: object) -> bool:
    return not allowed or value in allowed


class SlaPolicy(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The operator's table of timers; its version is recorded by every timer it starts."""

    version: Annotated[str, msgspec.Meta(min_length=1)]
    rules: tuple[TimerRule, ...]

    def __post_init__(self) -> None:
        ids = [rule.id for rule in self.rules]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"rule ids must be unique, repeated: {', '.join(duplicates)}")

    def rule(self, rule_id: str) -> TimerRule:
        """The rule with this id; a KeyError names an id the policy does not have."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def rules_for(
        self,
        event_name: str,
        channel: Channel,
        appeal_type: AppealType | None = None,
        form: AppealForm | None = None,
    ) -> list[TimerRule]:
        """The timers an event starts; the form defaults to the channel's usual one."""
        form = form or FORM_OF_CHANNEL[channel]
        return [r for r in self.rules if r.applies_to(event_name, channel, appeal_type, form)]
