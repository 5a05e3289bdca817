"""Erasing an account erases the unidentified contacts linked to it, and refuses (erasing
nothing) while the links it would read are behind the log."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from adapters.bootstrap import Services
from adapters.personal_data import erase_with_linked
from domain import commands as c
from domain.errors import ConflictError
from domain.identity import account_stream_id
from domain.unidentified import UnidentifiedContact
from domain.unidentified_commands import LinkContact, RecordUnidentifiedInteraction
from domain.values import Channel, Direction
from tests.integration.pd_support import T0, history, ledger_services, new_account

pytestmark = pytest.mark.integration

GROUND = "152-ФЗ ст. 21 ч. 5"


@pytest.fixture(scope="module")
def services(database_url: str) -> Iterator[Services]:
    with ledger_services(database_url) as built:
        yield built


def linked_contact(services: Services, account: str) -> str:
    """A call from an unknown number, then linked to the account; its reference."""
    caller = UnidentifiedContact(phone=f"+79{secrets.randbelow(10**9):09d}")
    services.committer.execute(RecordUnidentifiedInteraction(
        account_number=caller.ref(), contact=caller, channel=Channel.PHONE,
        direction=Direction.INBOUND, occurred_at=T0, summary="Звонил до договора"), "op", T0)
    services.committer.execute(LinkContact(contact_ref=caller.ref(), account_number=account),
                               "op", T0)
    return caller.ref()


def live_key(services: Services, number: str) -> bool:
    with services.pool.connection() as conn:
        row = conn.execute("SELECT count(*) FROM pd_keys WHERE account_id = %s AND key IS NOT"
                           " NULL", (account_stream_id(number),)).fetchone()
    return bool(row and row[0])


def erase_now(services: Services, account: str, wait: float) -> list[str]:
    command = c.ErasePersonalData(account_number=account, ground=GROUND)
    return erase_with_linked(services.ledger, services.committer, services.keys, services.pool,
                             command, "admin-1", wait).linked


class TestErasureOfLinkedContacts:
    def test_links_behind_the_log_refuse_the_erasure_and_change_nothing(
        self, services: Services
    ) -> None:
        account = new_account()
        history(services, account)
        ref = linked_contact(services, account)
        head = services.ledger.recorder.max_notification_id()

        with pytest.raises(ConflictError, match="contact_links read model is behind"):
            erase_now(services, account, wait=0.0)

        assert live_key(services, account) and live_key(services, ref)
        assert services.ledger.recorder.max_notification_id() == head

    def test_the_linked_contact_loses_its_key_and_records_the_same_ground(
        self, services: Services
    ) -> None:
        account, other = new_account(), new_account()
        history(services, account)
        history(services, other)
        ref, others = linked_contact(services, account), linked_contact(services, other)
        services.projector("contact_links").catch_up()

        assert erase_now(services, account, wait=1.0) == [ref]

        assert not live_key(services, account) and not live_key(services, ref)
        assert live_key(services, other) and live_key(services, others)
        erasures = [e for e in services.ledger.repository.event_store.get(account_stream_id(ref))
                    if type(e).__qualname__.endswith("PersonalDataErased")]
        assert [vars(e)["ground"] for e in erasures] == [GROUND]
