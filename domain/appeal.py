"""An appeal's state and the one table of transitions its lifecycle allows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.errors import InvalidTransitionError
from domain.values import (
    AppealForm,
    AppealStatus,
    AppealType,
    Channel,
    Contact,
)


class Action(StrEnum):
    """What can be done to an appeal after registration."""

    ASSIGN = "assign"
    REQUEST_CLARIFICATION = "request clarification"
    DEFER = "defer"
    EXTEND = "extend"
    ANSWER = "answer"
    CLOSE = "close"
    LEAVE_WITHOUT_CONSIDERATION = "leave without consideration"


S = AppealStatus
_IN_WORK = frozenset({S.REGISTERED, S.ASSIGNED, S.AWAITING_CLIENT, S.DEFERRED})

TRANSITIONS: dict[Action, tuple[frozenset[AppealStatus], AppealStatus | None]] = {
    Action.ASSIGN: (_IN_WORK, S.ASSIGNED),
    Action.REQUEST_CLARIFICATION: (_IN_WORK, S.AWAITING_CLIENT),
    Action.DEFER: (_IN_WORK, S.DEFERRED),
    Action.EXTEND: (_IN_WORK, None),
    Action.ANSWER: (_IN_WORK, S.ANSWERED),
    Action.CLOSE: (frozenset({S.ANSWERED}), S.CLOSED),
    Action.LEAVE_WITHOUT_CONSIDERATION: (_IN_WORK, S.LEFT_WITHOUT_CONSIDERATION),
}
"""Action -> (the statuses it is allowed from, the status it leads to; None keeps it)."""
ACTION_OF_EVENT: dict[str, Action] = {
    "AppealAssigned": Action.ASSIGN,
    "ClarificationRequested": Action.REQUEST_CLARIFICATION,
    "AppealDeferred": Action.DEFER,
    "AppealExtended": Action.EXTEND,
    "AppealAnswered": Action.ANSWER,
    "AppealClosed": Action.CLOSE,
    "AppealLeftWithoutConsideration": Action.LEAVE_WITHOUT_CONSIDERATION,
}
"""Stored event type -> the lifecycle action it records (read models follow the steps)."""


@dataclass
class Appeal:
    """An appeal as its account's history has made it; decisions are taken on this."""

    number: str
    channel: Channel
    appeal_type: AppealType
    form: AppealForm
    received_at: datetime
    contact: Contact | None
    reply_channel: Channel | None
    status: AppealStatus = AppealStatus.REGISTERED
    assignee: str | None = None
    extended: bool = False
    answered_at: datetime | None = None
    taken_up_at: datetime | None = None
    """When an appeal received out of hours is taken up, as the automatic reply said (9.1.5)."""

    def check_allows(self, action: Action) -> None:
        """Refuse an action the lifecycle does not allow from the current status."""
        allowed, _ = TRANSITIONS[action]
        if self.status not in allowed:
            raise InvalidTransitionError(self.number, self.status, action)

    def apply(self, action: Action) -> None:
        """Move to the status the action leads to."""
        _, target = TRANSITIONS[action]
        if target is not None:
            self.status = target

    @property
    def is_settled(self) -> bool:
        """Answered or closed: a later appeal on the same question may be a repeat (8.4.7)."""
        return self.status in (AppealStatus.ANSWERED, AppealStatus.CLOSED)
