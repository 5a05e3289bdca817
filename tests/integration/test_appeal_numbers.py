"""Appeal numbers: supplier-wide, from the PostgreSQL sequence, in the office's calendar year."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from adapters.bootstrap import Services, build, prepare_database
from adapters.settings import load_settings
from domain import commands as c
from domain.values import AppealType, Channel, Contact

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def services(database_url: str) -> Iterator[Services]:
    prepare_database(database_url)
    built = build(database_url, load_settings(), pool_size=2)
    yield built
    built.close()


def register(services: Services, received_at: datetime) -> str:
    command = c.RegisterAppeal(
        account_number=str(random.randrange(10**9, 10**10)), channel=Channel.MAIL,
        type=AppealType.STATEMENT, received_at=received_at, subject="Счёт", text="Пересчитать",
        contact=Contact(phone="+79990000000"))
    number = services.ledger.execute(command, "op", datetime.now(UTC)).appeal_number
    assert number is not None
    return number


class TestAppealNumberYear:
    def test_the_year_is_the_offices_not_the_offset_the_channel_wrote(
        self, services: Services
    ) -> None:
        new_year_in_moscow = datetime(2030, 12, 31, 22, 30, tzinfo=UTC)  # 01:30 on 1 January
        assert services.ledger.calendar is not None
        assert services.ledger.calendar.tz.key == load_settings().timezone

        number = register(services, new_year_in_moscow)
        west = register(services, new_year_in_moscow.astimezone(timezone(timedelta(hours=-5))))

        expected = new_year_in_moscow.astimezone(services.ledger.calendar.tz).year
        assert number.startswith(f"{expected}-") and west.startswith(f"{expected}-")
        assert expected == 2031
