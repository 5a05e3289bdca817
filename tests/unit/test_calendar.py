"""Term counting on the Russian production calendar (SLA.md, Counting)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.calendar import BusinessCalendar

pytestmark = pytest.mark.unit

MOSCOW = ZoneInfo("Europe/Moscow")
CALENDAR = BusinessCalendar()
COVERED_DAYS = st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 11, 30))
"""Years whose substitutions the `holidays` package knows (2028 is not decreed yet)."""


class TestWorkedExamples:
    @pytest.mark.parametrize(
        ("received", "one", "three", "ten", "thirty"),
        [
            (date(2026, 2, 20), date(2026, 2, 24), date(2026, 2, 26), date(2026, 3, 10),
             date(2026, 3, 23)),
            (date(2026, 6, 11), date(2026, 6, 15), date(2026, 6, 17), date(2026, 6, 26),
             date(2026, 7, 13)),
        ],
    )  # fmt: skip
    def test_terms_end_as_in_sla_md(
        self, received: date, one: date, three: date, ten: date, thirty: date
    ) -> None:
        calendar = BusinessCalendar("Europe/Moscow")

        ends = (
            calendar.add_working_days(received, 1),
            calendar.add_working_days(received, 3),
            calendar.add_working_days(received, 10),
            calendar.add_calendar_days(received, 30),
        )

        assert ends == (one, three, ten, thirty)


class TestProductionCalendar:
    @pytest.mark.parametrize(
        ("day", "working"),
        [
            (date(2025, 11, 1), True),  # Saturday made a working day
            (date(2025, 11, 3), False),  # Monday off, substituted from 2025-11-01
            (date(2026, 1, 9), False),  # Friday off, substituted from 2026-01-03
            (date(2026, 12, 31), False),  # Thursday off, substituted from 2026-01-04
            (date(2027, 2, 20), True),  # Saturday made a working day
            (date(2027, 2, 22), False),  # Monday off, substituted from 2027-02-20
            (date(2026, 3, 9), False),  # Women's Day fell on a Sunday
            (date(2026, 2, 23), False),  # Defender of the Fatherland Day
            (date(2026, 2, 21), False),  # an ordinary Saturday
            (date(2026, 2, 24), True),  # an ordinary Tuesday
        ],
    )
    def test_knows_working_days(self, day: date, working: bool) -> None:
        assert CALENDAR.is_working_day(day) is working

    def test_tells_a_holiday_from_an_ordinary_weekend(self) -> None:
        assert CALENDAR.is_holiday(date(2026, 1, 3))
        assert not CALENDAR.is_holiday(date(2026, 2, 21))

    def test_a_working_saturday_counts_in_a_term(self) -> None:
        received = date(2025, 10, 31)

        ends = (CALENDAR.add_working_days(received, 1), CALENDAR.add_working_days(received, 2))

        assert ends == (date(2025, 11, 1), date(2025, 11, 5))

    def test_next_working_day_skips_substituted_days_off(self) -> None:
        assert CALENDAR.next_working_day(date(2025, 11, 1)) == date(2025, 11, 5)


class TestNewYearHolidays:
    @pytest.mark.parametrize(
        ("received", "one", "three", "thirty"),
        [
            (date(2026, 12, 30), date(2027, 1, 11), date(2027, 1, 13), date(2027, 1, 29)),
            (date(2026, 12, 31), date(2027, 1, 11), date(2027, 1, 13), date(2027, 2, 1)),
            (date(2026, 1, 5), date(2026, 1, 12), date(2026, 1, 14), date(2026, 2, 4)),
        ],
    )
    def test_terms_skip_the_january_holidays(
        self, received: date, one: date, three: date, thirty: date
    ) -> None:
        ends = (
            CALENDAR.add_working_days(received, 1),
            CALENDAR.add_working_days(received, 3),
            CALENDAR.add_calendar_days(received, 30),
        )

        assert ends == (one, three, thirty)

    def test_calendar_days_ending_in_the_holidays_move_past_them(self) -> None:
        assert CALENDAR.add_calendar_days(date(2026, 12, 30), 5) == date(2027, 1, 11)


class TestTermEndsOnADayOff:
    def test_moves_to_the_next_working_day(self) -> None:
        received = date(2026, 5, 2)

        last = CALENDAR.add_calendar_days(received, 7)

        assert last == date(2026, 5, 12)  # Sat 9th Victory Day, Sun 10th, Mon 11th observed

    def test_receipt_on_a_day_off_counts_from_the_day_after(self) -> None:
        received = date(2026, 2, 21)  # Saturday

        ends = (CALENDAR.add_working_days(received, 1), CALENDAR.add_calendar_days(received, 30))

        assert ends == (date(2026, 2, 24), date(2026, 3, 23))

    def test_refuses_an_empty_term(self) -> None:
        with pytest.raises(ValueError, match="at least 1 day"):
            CALENDAR.add_working_days(date(2026, 2, 20), 0)


class TestTimezones:
    def test_deadline_falls_at_local_midnight(self) -> None:
        end = CALENDAR.end_of_day(date(2026, 2, 24))

        assert end == datetime(2026, 2, 25, tzinfo=MOSCOW)
        assert end == datetime(2026, 2, 24, 21, 0, tzinfo=UTC)

    def test_half_past_eleven_in_moscow_is_still_that_day(self) -> None:
        instant = datetime(2026, 2, 20, 20, 30, tzinfo=UTC)  # 23:30 in Moscow

        assert CALENDAR.local_date(instant) == date(2026, 2, 20)
        assert CALENDAR.local_date(instant + timedelta(hours=1)) == date(2026, 2, 21)

    def test_yekaterinburg_office_counts_its_own_day(self) -> None:
        instant = datetime(2026, 2, 19, 20, 30, tzinfo=UTC)  # Moscow 23:30, Yekaterinburg 01:30
        yekaterinburg = BusinessCalendar("Asia/Yekaterinburg")

        moscow_day = CALENDAR.add_working_days(CALENDAR.local_date(instant), 1)
        ural_day = yekaterinburg.add_working_days(yekaterinburg.local_date(instant), 1)

        assert (moscow_day, ural_day) == (date(2026, 2, 20), date(2026, 2, 24))
        assert yekaterinburg.end_of_day(ural_day) == datetime(2026, 2, 24, 19, 0, tzinfo=UTC)

    def test_refuses_a_naive_instant(self) -> None:
        with pytest.raises(ValueError, match="no timezone"):
            CALENDAR.local_date(datetime(2026, 2, 20, 12, 0))


class TestWorkingTime:
    def test_a_whole_term_is_its_number_of_working_days(self) -> None:
        start = CALENDAR.end_of_day(date(2026, 2, 20))
        due_at = CALENDAR.end_of_day(date(2026, 2, 26))

        assert CALENDAR.working_days_between(start, due_at) == 3.0

    def test_counts_part_of_a_working_day_by_clock_time(self) -> None:
        start = datetime(2026, 2, 24, tzinfo=MOSCOW)

        elapsed = CALENDAR.working_days_between(start, datetime(2026, 2, 24, 6, tzinfo=MOSCOW))

        assert elapsed == 0.25

    def test_days_off_add_nothing(self) -> None:
        start = datetime(2026, 2, 20, 12, tzinfo=MOSCOW)  # Friday; Mon 23rd is a holiday

        elapsed = CALENDAR.working_days_between(start, datetime(2026, 2, 24, 12, tzinfo=MOSCOW))

        assert elapsed == 1.0

    def test_nothing_remains_after_the_deadline(self) -> None:
        due_at = datetime(2026, 2, 25, tzinfo=MOSCOW)

        assert CALENDAR.working_days_between(due_at + timedelta(hours=5), due_at) == 0.0

    def test_finds_when_working_time_has_passed(self) -> None:
        start = datetime(2026, 2, 21, tzinfo=MOSCOW)  # Saturday

        instant = CALENDAR.after_working_days(start, 1.5)

        assert instant == datetime(2026, 2, 25, 12, tzinfo=MOSCOW)


class TestProperties:
    @given(received=COVERED_DAYS, n=st.integers(min_value=1, max_value=30))
    def test_working_day_term_ends_on_a_working_day_not_earlier_than_n_days(
        self, received: date, n: int
    ) -> None:
        last = CALENDAR.add_working_days(received, n)

        assert CALENDAR.is_working_day(last)
        assert last >= received + timedelta(days=n)
        assert CALENDAR.working_days_between(
            CALENDAR.end_of_day(received), CALENDAR.end_of_day(last)
        ) == pytest.approx(n)

    @given(received=COVERED_DAYS, n=st.integers(min_value=1, max_value=30))
    def test_calendar_day_term_moves_only_past_days_off(self, received: date, n: int) -> None:
        nominal = received + timedelta(days=n)

        last = CALENDAR.add_calendar_days(received, n)

        assert CALENDAR.is_working_day(last)
        days_skipped = (last - nominal).days
        skipped = [nominal + timedelta(days=i) for i in range(days_skipped)]
        assert not any(CALENDAR.is_working_day(day) for day in skipped)

    @given(
        start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 6, 30),
                           timezones=st.just(UTC)),
        amount=st.floats(min_value=0, max_value=20),
    )  # fmt: skip
    def test_after_working_days_inverts_working_days_between(
        self, start: datetime, amount: float
    ) -> None:
        instant = CALENDAR.after_working_days(start, amount)

        assert CALENDAR.working_days_between(start, instant) == pytest.approx(amount, abs=1e-6)
