"""One SLA timer: due moments, states, the marks it owes, pauses (domain/sla_timer)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.calendar import BusinessCalendar
from domain.sla import DEFAULT_POLICY, CountedFrom, TermUnit, TimerRule
from domain.sla_timer import Mark, Timer, TimerState
from domain.values import AppealStatus

pytestmark = pytest.mark.unit

MSK = ZoneInfo("Europe/Moscow")
CALENDAR = BusinessCalendar()
FRIDAY = datetime(2026, 2, 20, 12, 0, tzinfo=MSK)
THURSDAY = datetime(2026, 6, 11, 12, 0, tzinfo=MSK)


def start(rule_id: str, at: datetime = FRIDAY, rule: TimerRule | None = None) -> Timer:
    chosen = rule or DEFAULT_POLICY.rule(rule_id)
    return Timer.start(f"a/{chosen.id}/1", chosen, "v1", at, CALENDAR)


def moscow(y: int, m: int, d: int, h: int = 0, minute: int = 0) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=MSK)


class TestWorkedExamples:
    @pytest.mark.parametrize(
        ("received", "rule_id", "due_date"),
        [
            (FRIDAY, "written.registration", date(2026, 2, 24)),
            (FRIDAY, "interactive.answer", date(2026, 2, 26)),
            (FRIDAY, "interactive.extended", date(2026, 3, 10)),
            (FRIDAY, "written.answer", date(2026, 3, 23)),
            (THURSDAY, "written.registration", date(2026, 6, 15)),
            (THURSDAY, "interactive.answer", date(2026, 6, 17)),
            (THURSDAY, "interactive.extended", date(2026, 6, 26)),
            (THURSDAY, "written.answer", date(2026, 7, 13)),
        ],
    )
    def test_is_due_at_the_end_of_the_last_day_of_sla_md(
        self, received: datetime, rule_id: str, due_date: date
    ) -> None:
        timer = start(rule_id, received)

        assert timer.due_date == due_date
        assert timer.due_at == moscow(due_date.year, due_date.month, due_date.day) + timedelta(
            days=1)
        assert timer.policy_version == "v1"


class TestState:
    def test_runs_then_is_at_risk_from_the_first_warning_then_breached(self) -> None:
        timer = start("interactive.answer")
        first_warning = timer.warn_instants[0]

        states = [timer.state(first_warning - timedelta(seconds=1)), timer.state(first_warning),
                  timer.state(timer.due_at)]

        assert states == [TimerState.RUNNING, TimerState.AT_RISK, TimerState.BREACHED]

    def test_met_on_the_due_moment_is_met(self) -> None:
        timer = start("interactive.answer")

        timer.stop(timer.due_at, met=True, calendar=CALENDAR)

        assert timer.state(timer.due_at + timedelta(days=30)) is TimerState.MET
        assert timer.met_at == timer.due_at

    def test_met_after_the_due_moment_is_breached(self) -> None:
        timer = start("interactive.answer")

        timer.stop(timer.due_at + timedelta(seconds=1), met=True, calendar=CALENDAR)

        assert timer.state(timer.due_at) is TimerState.BREACHED

    def test_cancelled_in_time_is_cancelled(self) -> None:
        timer = start("interactive.answer")

        timer.stop(FRIDAY + timedelta(days=1), met=False, calendar=CALENDAR)

        assert timer.state(timer.due_at) is TimerState.CANCELLED
        assert timer.met_at is None


class TestMarks:
    def test_owes_each_warning_and_the_breach_once_their_moment_passed(self) -> None:
        timer = start("interactive.answer")

        owed = timer.owed(timer.due_at)

        assert [m.threshold for m in owed] == [0.7, 0.9, None]
        assert owed[-1].at == timer.due_at

    def test_owes_nothing_before_the_first_warning(self) -> None:
        timer = start("interactive.answer")

        assert timer.owed(timer.warn_instants[0] - timedelta(microseconds=1)) == []

    def test_a_recorded_mark_is_not_owed_again(self) -> None:
        timer = start("interactive.answer")

        timer.record(Mark(0.7, timer.warn_instants[0]))

        assert [m.threshold for m in timer.owed(timer.due_at)] == [0.9, None]
        assert timer.next_mark_at() == timer.warn_instants[1]

    def test_a_timer_met_in_time_owes_only_what_passed_before(self) -> None:
        timer = start("interactive.answer")
        timer.stop(timer.warn_instants[1] - timedelta(minutes=1), met=True, calendar=CALENDAR)

        assert [m.threshold for m in timer.owed(timer.due_at + timedelta(days=9))] == [0.7]

    def test_a_timer_stopped_late_still_owes_its_breach(self) -> None:
        timer = start("interactive.answer")
        timer.stop(timer.due_at + timedelta(hours=1), met=True, calendar=CALENDAR)

        assert [m.threshold for m in timer.owed(timer.due_at + timedelta(days=9))] == [
            0.7, 0.9, None]

    def test_a_recorded_breach_stands_against_a_stop_dated_earlier(self) -> None:
        timer = start("interactive.answer")
        timer.record(Mark(None, timer.due_at))

        timer.stop(timer.due_at - timedelta(hours=1), met=True, calendar=CALENDAR)

        assert timer.state(timer.due_at) is TimerState.BREACHED
        assert timer.met_at == timer.due_at - timedelta(hours=1)

    def test_a_breach_recorded_after_the_stop_makes_it_breached(self) -> None:
        timer = start("written.registration")
        timer.stop(FRIDAY + timedelta(hours=1), met=True, calendar=CALENDAR)

        timer.record(Mark(None, timer.due_at))

        assert timer.state(timer.due_at) is TimerState.BREACHED

    def test_once_everything_is_recorded_nothing_is_next(self) -> None:
        timer = start("interactive.answer")
        for mark in timer.owed(timer.due_at):
            timer.record(mark)

        assert timer.next_mark_at() is None
        assert timer.state(FRIDAY) is TimerState.BREACHED

    @given(st.integers(min_value=0, max_value=30 * 24 * 60))
    def test_owed_marks_are_exactly_those_passed_by_now(self, minutes: int) -> None:
        timer = start("written.answer")
        now = FRIDAY + timedelta(minutes=minutes)

        owed = timer.owed(now)

        expected = [t for t in [*timer.warn_instants, timer.due_at] if t <= now]
        assert [m.at for m in owed] == expected


PAUSING = TimerRule(
    id="interactive.answer", starts_on="AppealRegistered", term=3, unit=TermUnit.WORKING_DAYS,
    counted_from=CountedFrom.RECEIPT, pauses_in=(AppealStatus.AWAITING_CLIENT,),
)


class TestPause:
    def test_a_paused_timer_owes_nothing_and_does_not_breach(self) -> None:
        timer = start("", rule=PAUSING)
        timer.pause(FRIDAY + timedelta(hours=1))

        assert timer.owed(timer.due_at + timedelta(days=5)) == []
        assert timer.state(timer.due_at + timedelta(days=5)) is TimerState.RUNNING

    def test_a_pause_moves_the_due_date_by_the_working_days_paused(self) -> None:
        timer = start("", rule=PAUSING)  # due Thu 2026-02-26
        timer.pause(moscow(2026, 2, 24, 10))

        timer.resume(moscow(2026, 2, 25, 10), CALENDAR)  # one working day paused

        assert timer.due_date == date(2026, 2, 27)
        assert timer.paused_seconds == 24 * 3600

    def test_a_calendar_term_moved_by_a_pause_still_ends_on_a_working_day(self) -> None:
        rule = msgspec.structs.replace(PAUSING, id="written.answer", term=30,
                                       unit=TermUnit.CALENDAR_DAYS)
        timer = start("", rule=rule)  # due Mon 2026-03-23 (the 22nd is a Sunday)
        timer.pause(moscow(2026, 3, 2, 10))

        timer.resume(moscow(2026, 3, 7, 9), CALENDAR)  # five days (rounded up) paused

        # 30 days from receipt end Sun 03-22 (moved to Mon 03-23); 35 days end Fri 03-27, a
        # working day: the pause counts from the term's own end, not from the moved one
        assert timer.due_date == date(2026, 3, 27)
        assert timer.due_at == moscow(2026, 3, 28)

    def test_a_calendar_term_paused_into_a_day_off_ends_on_the_next_working_day(self) -> None:
        rule = msgspec.structs.replace(PAUSING, id="written.answer", term=30,
                                       unit=TermUnit.CALENDAR_DAYS)
        timer = start("", rule=rule)  # received Fri 02-20: 30 days end Sun 03-22
        timer.pause(moscow(2026, 3, 2, 10))

        timer.resume(moscow(2026, 3, 7, 11), CALENDAR)  # six days (rounded up): Sat 03-28

        assert timer.due_date == date(2026, 3, 30)

    def test_a_minute_paused_moves_a_calendar_term_one_day_from_its_own_end(self) -> None:
        rule = msgspec.structs.replace(PAUSING, id="written.answer", term=30,
                                       unit=TermUnit.CALENDAR_DAYS)
        timer = start("", rule=rule)  # due Mon 03-23, moved there from Sun 03-22
        timer.pause(moscow(2026, 2, 25, 10))

        timer.resume(moscow(2026, 2, 25, 10, 1), CALENDAR)

        assert timer.due_date == date(2026, 3, 23)  # 31 days: Mon 03-23 itself

    def test_a_pause_after_the_term_ran_out_does_not_revive_the_timer(self) -> None:
        timer = start("", rule=PAUSING)  # due Thu 02-26 24:00
        late = timer.due_at + timedelta(hours=10)

        timer.pause(late)
        timer.resume(late + timedelta(hours=1), CALENDAR)
        timer.stop(late + timedelta(hours=5), met=True, calendar=CALENDAR)

        assert timer.paused_since is None and timer.due_date == date(2026, 2, 26)
        assert timer.outcome is TimerState.BREACHED

    def test_a_working_day_pause_moves_warnings_by_working_days(self) -> None:
        rule = msgspec.structs.replace(PAUSING, term=10, warn_at=(0.9,))
        timer = start("", rule=rule)  # received Fri 02-20 (Mon 02-23 is a holiday)
        assert timer.warn_instants == [moscow(2026, 3, 7)]  # 9th working day: Fri 03-06
        timer.pause(moscow(2026, 2, 24, 10))

        timer.resume(moscow(2026, 2, 24, 11), CALENDAR)  # an hour: one working day

        # the next working day after Fri 03-06 is Tue 03-10 (Mon 03-09 stands for 03-08),
        # not Sat 03-07 as a calendar shift would make it
        assert timer.warn_instants == [moscow(2026, 3, 11)]
        assert timer.due_date == date(2026, 3, 11)

    def test_paused_time_is_kept_when_the_timer_is_then_met(self) -> None:
        timer = start("", rule=PAUSING)
        timer.pause(moscow(2026, 2, 26, 20))

        timer.stop(moscow(2026, 2, 27, 10), met=True, calendar=CALENDAR)

        assert timer.due_date == date(2026, 2, 27)
        assert timer.state(moscow(2026, 3, 5)) is TimerState.MET


class TestRemaining:
    def test_counts_hours_and_working_days_left(self) -> None:
        timer = start("interactive.answer")  # due 2026-02-27 00:00

        hours, working_days = timer.remaining(moscow(2026, 2, 25), CALENDAR) or (0.0, 0.0)

        assert hours == 48
        assert working_days == 2

    def test_is_negative_when_overdue_and_none_once_stopped(self) -> None:
        timer = start("interactive.answer")

        overdue = timer.remaining(moscow(2026, 2, 27, 12), CALENDAR)
        timer.stop(moscow(2026, 2, 27, 12), met=True, calendar=CALENDAR)

        assert overdue == (-12, -0.5)
        assert timer.remaining(moscow(2026, 2, 27, 12), CALENDAR) is None
