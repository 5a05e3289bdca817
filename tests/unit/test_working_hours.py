"""When each service takes clients (8.2.4, 9.1.5), on the production calendar."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import msgspec
import pytest

from domain.calendar import BusinessCalendar
from domain.working_hours import (
    CONTACT_CENTRE_INDIVIDUALS,
    CONTACT_CENTRE_LEGAL_ENTITIES,
    DEFAULT_SERVICE_HOURS,
    OFFICE,
    Hours,
    ServiceHours,
    is_open,
    next_opening,
)

pytestmark = pytest.mark.unit

MOSCOW = ZoneInfo("Europe/Moscow")
CALENDAR = BusinessCalendar()


def moscow(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=MOSCOW)


class TestContactCentreForIndividuals:
    @pytest.mark.parametrize(
        ("instant", "open_"),
        [
            (moscow(2026, 2, 24, 8), True),  # Tuesday, opening
            (moscow(2026, 2, 24, 17, 59), True),
            (moscow(2026, 2, 24, 18), False),  # closing time is closed
            (moscow(2026, 2, 24, 7, 59), False),
            (moscow(2026, 2, 21, 16, 30), True),  # Saturday the 21st: 8–17
            (moscow(2026, 2, 21, 17, 30), False),
            (moscow(2026, 2, 28, 10), False),  # Saturday the 28th: outside the 15th–25th
            (moscow(2026, 2, 22, 10), False),  # Sunday
            (moscow(2026, 2, 23, 10), False),  # Monday, a public holiday
            (moscow(2025, 11, 1, 17, 30), True),  # working Saturday keeps weekday hours
            (moscow(2025, 11, 3, 10), False),  # substituted day off
        ],
    )
    def test_is_open_by_the_production_calendar(self, instant: datetime, open_: bool) -> None:
        assert is_open(CONTACT_CENTRE_INDIVIDUALS, instant, CALENDAR) is open_

    def test_opens_on_saturday_in_the_middle_of_the_month(self) -> None:
        friday_evening = moscow(2026, 2, 20, 18, 30)

        opening = next_opening(CONTACT_CENTRE_INDIVIDUALS, friday_evening, CALENDAR)

        assert opening == moscow(2026, 2, 21, 8)


class TestContactCentreForLegalEntities:
    def test_opens_at_nine_on_weekdays_only(self) -> None:
        assert not is_open(CONTACT_CENTRE_LEGAL_ENTITIES, moscow(2026, 2, 24, 8, 30), CALENDAR)
        assert is_open(CONTACT_CENTRE_LEGAL_ENTITIES, moscow(2026, 2, 24, 9), CALENDAR)
        assert not is_open(CONTACT_CENTRE_LEGAL_ENTITIES, moscow(2026, 2, 21, 10), CALENDAR)

    def test_next_opening_skips_weekend_and_holiday(self) -> None:
        friday_evening = moscow(2026, 2, 20, 18, 30)

        opening = next_opening(CONTACT_CENTRE_LEGAL_ENTITIES, friday_evening, CALENDAR)

        assert opening == moscow(2026, 2, 24, 9)


class TestNextOpening:
    def test_is_now_when_already_open(self) -> None:
        instant = moscow(2026, 2, 24, 12, 15)

        assert next_opening(CONTACT_CENTRE_INDIVIDUALS, instant, CALENDAR) == instant

    def test_is_later_the_same_day_before_opening(self) -> None:
        early = datetime(2026, 2, 24, 3, 0, tzinfo=UTC)  # 06:00 in Moscow

        opening = next_opening(CONTACT_CENTRE_INDIVIDUALS, early, CALENDAR)

        assert opening == moscow(2026, 2, 24, 8)

    def test_waits_out_the_new_year_holidays(self) -> None:
        evening = moscow(2026, 12, 30, 19)

        opening = next_opening(CONTACT_CENTRE_INDIVIDUALS, evening, CALENDAR)

        assert opening == moscow(2027, 1, 11, 8)

    def test_refuses_a_service_that_never_opens(self) -> None:
        closed = ServiceHours(name="closed", working_days=None)

        with pytest.raises(ValueError, match="does not open"):
            next_opening(closed, moscow(2026, 2, 24, 12), CALENDAR)


class TestOfficeTimezone:
    def test_office_in_yekaterinburg_opens_by_its_own_clock(self) -> None:
        instant = datetime(2026, 2, 24, 4, 30, tzinfo=UTC)  # 09:30 Yekaterinburg, 07:30 Moscow
        ural = BusinessCalendar("Asia/Yekaterinburg")

        assert is_open(OFFICE, instant, ural)
        assert not is_open(OFFICE, instant, CALENDAR)


class TestConfiguration:
    def test_hours_decode_from_json(self) -> None:
        raw = b'{"name": "office", "working_days": {"opens": "10:00:00", "closes": "19:00:00"}}'

        hours = msgspec.json.decode(raw, type=ServiceHours)

        assert hours.working_days == Hours(time(10), time(19))
        assert hours.saturdays is None

    def test_closing_before_opening_is_refused_naming_the_field(self) -> None:
        raw = b'{"name": "office", "working_days": {"opens": "19:00:00", "closes": "10:00:00"}}'

        with pytest.raises(msgspec.ValidationError, match=r"\$\.working_days"):
            msgspec.json.decode(raw, type=ServiceHours)

    def test_every_service_has_default_hours(self) -> None:
        assert set(DEFAULT_SERVICE_HOURS) == {
            "contact_centre_individuals",
            "contact_centre_legal_entities",
            "office",
            "online_office",
        }
