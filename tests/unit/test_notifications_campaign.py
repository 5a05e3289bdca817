"""Campaigns: what is refused at creation, and the lifecycle the campaign decides itself."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, time, timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import msgspec
import pytest

from domain.calendar import BusinessCalendar
from domain.campaign import Campaign, CampaignStatus, CampaignTransitionError, Skipped
from domain.campaign_commands import AllowedHours, CreateCampaign, Recipient
from domain.campaign_desk import CampaignDesk
from domain.campaign_list import ListedRecipient, SealedValues, Values
from domain.errors import ValidationError
from domain.ledger import Ledger
from domain.templates import DEFAULT_TEMPLATES
from tests.unit.test_sla_marks import MemoryNumbers

pytestmark = pytest.mark.unit

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=MSK)


def command(count: int = 3, **changes: Any) -> CreateCampaign:
    values: dict[str, Any] = {
        "name": "Долги за февраль", "template": "debt", "channel": "sms",
        "windowStart": NOW.isoformat(), "windowEnd": (NOW + timedelta(hours=8)).isoformat(),
        "recipients": [{"accountNumber": f"{1000000000 + i}",
                        "values": {"name": "Клиент", "debt": "1 234,56"}} for i in range(count)],
    } | changes
    return msgspec.convert(values, CreateCampaign)


class TestRefusedAtCreation:
    @pytest.mark.parametrize(
        ("changes", "field"),
        [({"template": "no_such"}, "input.template"),
         ({"template": "survey"}, "input.template"),
         ({"template": "tariff_change", "channel": "chat"}, "input.channel"),
         ({"windowEnd": NOW.isoformat()}, "input.windowEnd"),
         ({"windowStart": (NOW - timedelta(days=2)).isoformat(),
           "windowEnd": (NOW - timedelta(days=1)).isoformat()}, "input.windowEnd"),
         ({"recipients": []}, "input.recipients"),
         ({"recipients": [{"accountNumber": "1000000001", "values": {"name": "Иван"}}]},
          "input.recipients[0].values.debt"),
         ({"recipients": [{"accountNumber": "1000000001", "values": {"name": "И", "debt": "1"}},
                          {"accountNumber": "1000000001", "values": {"name": "И", "debt": "2"}}]},
          "input.recipients[1].accountNumber")],
    )
    def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(
        self, desk: CampaignDesk, changes: dict[str, Any], field: str
    ) -> None:
        campaign_id = uuid4()

        with pytest.raises(ValidationError) as refused:
            desk.create(command(**changes), campaign_id, "supervisor", NOW)

        assert refused.value.field == field
        assert desk.ledger.recorder.max_notification_id() in (None, 0)


class TestLifecycle:
    def test_the_list_is_stored_in_chunks_of_a_thousand(self, desk: CampaignDesk) -> None:
        campaign_id = uuid4()

        desk.create(command(2_500), campaign_id, "supervisor", NOW)

        campaign = desk.get(campaign_id)
        assert (campaign.chunks, campaign.version) == (3, 4)
        assert [len(desk.recipients(campaign_id, c)) for c in range(3)] == [1000, 1000, 500]
        assert desk.recipients(campaign_id, 2)[-1].account_number == "1000002499"

    def test_each_chunk_is_recorded_once(self, desk: CampaignDesk) -> None:
        campaign_id = started(desk)
        skipped = [Skipped("1000000001", "account not found")]

        first = desk.record_chunk(campaign_id, 0, 2, skipped, NOW)
        again = desk.record_chunk(campaign_id, 0, 2, skipped, NOW)

        assert (first, again) == (True, False)
        assert desk.get(campaign_id).next_chunk() is None

    def test_a_cancelled_campaign_asks_for_nothing_more(self, desk: CampaignDesk) -> None:
        campaign_id = started(desk)

        desk.cancel(campaign_id, "supervisor", NOW)

        campaign = desk.get(campaign_id)
        assert (campaign.status, campaign.next_chunk()) == (CampaignStatus.CANCELLED, None)
        with pytest.raises(CampaignTransitionError):
            desk.cancel(campaign_id, "supervisor", NOW)

    def test_it_finishes_only_once_its_window_is_over(self, desk: CampaignDesk) -> None:
        campaign_id = started(desk)

        early = desk.finish(campaign_id, NOW + timedelta(hours=7))
        late = desk.finish(campaign_id, NOW + timedelta(hours=8))

        assert (early, late) == (False, True)
        assert desk.get(campaign_id).status == CampaignStatus.FINISHED

    def test_a_campaign_whose_window_ended_cannot_start(self, desk: CampaignDesk) -> None:
        campaign_id = uuid4()
        desk.create(command(), campaign_id, "supervisor", NOW)

        with pytest.raises(ValidationError):
            desk.start(campaign_id, "supervisor", NOW + timedelta(days=1))


class TestAllowedHours:
    @pytest.mark.parametrize(
        ("hours", "at", "allowed"),
        [("09:00-21:00", time(8, 59), False), ("09:00-21:00", time(9, 0), True),
         ("09:00-21:00", time(21, 0), False), ("00:00-24:00", time(23, 59), True)],
    )
    def test_nothing_goes_out_outside_them(self, hours: str, at: time, allowed: bool) -> None:
        moment = datetime.combine(NOW.date(), at, tzinfo=MSK)

        assert AllowedHours.parse(hours).allow(moment) is allowed


class TestTemplates:
    def test_a_missing_value_is_refused_naming_it(self) -> None:
        with pytest.raises(ValidationError) as refused:
            DEFAULT_TEMPLATES.get("debt").render({"account_number": "1", "name": "Иван"})

        assert refused.value.field == "values.debt"


def started(desk: CampaignDesk) -> Any:
    campaign_id = uuid4()
    desk.create(command(), campaign_id, "supervisor", NOW)
    desk.start(campaign_id, "supervisor", NOW)
    assert isinstance(desk.get(campaign_id), Campaign)
    return campaign_id


class MemorySealer:
    """Seals figures by keeping them aside (the real sealer needs the key table); an erased
    account's figures no longer open."""

    def __init__(self) -> None:
        self.kept: dict[bytes, Values] = {}
        self.erased: set[str] = set()

    def seal(self, campaign_id: UUID, recipients: Sequence[Recipient]) -> list[ListedRecipient]:
        for r in recipients:
            self.kept[(campaign_id.hex + r.account_number).encode()] = dict(r.values)
        return [ListedRecipient(account_number=r.account_number, sealed=SealedValues(
            k=1, b=(campaign_id.hex + r.account_number).encode())) for r in recipients]

    def open(self, campaign_id: UUID, listed: Sequence[ListedRecipient]) -> list[Values | None]:
        return [None if r.account_number in self.erased or r.sealed is None
                else self.kept[r.sealed.b] for r in listed]


class TestList:
    def test_a_page_of_the_list_spans_chunks_and_opens_each_recipient(
        self, desk: CampaignDesk
    ) -> None:
        campaign_id = uuid4()
        desk.create(command(1_005), campaign_id, "supervisor", NOW)

        page = desk.page(campaign_id, 998, 4)

        assert [a for a, _ in page] == [f"{1000000998 + i}" for i in range(4)]
        assert page[0][1] == {"name": "Клиент", "debt": "1 234,56"}

    def test_an_erased_recipient_opens_as_none(self, desk: CampaignDesk) -> None:
        campaign_id = uuid4()
        desk.create(command(3), campaign_id, "supervisor", NOW)
        assert isinstance(desk.sealer, MemorySealer)

        desk.sealer.erased.add("1000000001")

        assert [v is None for _, v in desk.opened(campaign_id, 0)] == [False, True, False]


@pytest.fixture
def desk() -> Iterator[CampaignDesk]:
    env = {"PERSISTENCE_MODULE": "eventsourcing.popo",
           "MAPPER_TOPIC": "adapters.transcoder:MsgspecMapper"}
    app = Ledger(env, numbers=MemoryNumbers(), calendar=BusinessCalendar())
    yield CampaignDesk(app, DEFAULT_TEMPLATES, MemorySealer())
    app.close()
