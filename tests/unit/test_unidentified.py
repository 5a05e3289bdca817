"""Unidentified contacts in the domain: one stream per contact, links, what opens a stream."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.account import Account
from domain.commands import RecordInteraction
from domain.errors import NotFoundError, ValidationError
from domain.unidentified import UnidentifiedContact, open_stream
from domain.values import AccountKind, Channel, Direction

AT = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


class TestContactRef:
    @pytest.mark.parametrize("written", ["8 (916) 123-45-67", "+7 916 123 45 67",
                                         "79161234567", "9161234567"])
    def test_every_way_of_writing_a_number_gives_one_ref(self, written: str) -> None:
        assert UnidentifiedContact(phone=written).ref() == \
            UnidentifiedContact(phone="+79161234567").ref()

    def test_e_mail_is_case_insensitive_and_differs_from_a_phone(self) -> None:
        ref = UnidentifiedContact(email=" Ivanov@Mail.RU ").ref()
        assert ref == UnidentifiedContact(email="ivanov@mail.ru").ref()
        assert ref != UnidentifiedContact(phone="+79161234567").ref()
        assert ref.startswith("U-") and len(ref) == 18

    @pytest.mark.parametrize(("contact", "field"), [
        (UnidentifiedContact(), "contact"),
        (UnidentifiedContact(phone="+79161234567", email="a@b.ru"), "contact"),
        (UnidentifiedContact(phone="12-34"), "contact.phone"),
        (UnidentifiedContact(email="not-an-address"), "contact.email"),
    ])
    def test_a_bad_contact_names_its_field(self, contact: UnidentifiedContact, field: str) -> None:
        with pytest.raises(ValidationError) as refused:
            contact.ref()
        assert refused.value.field == field


class TestLinks:
    def test_a_link_is_recorded_once_and_a_new_one_corrects_it(self) -> None:
        caller = Account(number="U-0123456789abcdef", kind=AccountKind.UNIDENTIFIED)

        assert caller.link_to_account("1234567890", AT, "op") is True
        assert caller.link_to_account("1234567890", AT, "op") is False
        assert caller.link_to_account("2234567890", AT, "op") is True
        assert caller.linked_to == "2234567890"
        links = [e for e in caller.collect_events() if isinstance(e, Account.LinkedToAccount)]
        assert [e.account_number for e in links] == ["1234567890", "2234567890"]

    def test_an_account_is_not_linked_like_a_contact(self) -> None:
        account = Account(number="1234567890", kind=AccountKind.INDIVIDUAL)
        with pytest.raises(ValidationError):
            account.link_to_account("2234567890", AT, "op")


def interaction(number: str, kind: AccountKind | None = None) -> RecordInteraction:
    return RecordInteraction(account_number=number, account_kind=kind, channel=Channel.PHONE,
                             direction=Direction.INBOUND, occurred_at=AT, summary="звонок")


class TestOpeningStreams:
    def test_only_a_contacts_own_first_contact_opens_its_stream(self) -> None:
        with pytest.raises(NotFoundError):
            open_stream(interaction("U-0123456789abcdef"))

    def test_an_account_number_cannot_be_declared_unidentified(self) -> None:
        with pytest.raises(ValidationError) as refused:
            open_stream(interaction("1234567890", AccountKind.UNIDENTIFIED))
        assert refused.value.field == "accountKind"

    @pytest.mark.parametrize(("number", "kind"), [("123456", AccountKind.LEGAL_ENTITY),
                                                  ("1234567890", AccountKind.INDIVIDUAL)])
    def test_account_kinds_follow_the_number(self, number: str, kind: AccountKind) -> None:
        assert open_stream(interaction(number)).kind is kind
