"""Personal data on real PostgreSQL: sealed in the log, erased by destroying the key, and the
read models, a rebuild and a replay all agree that it is erased."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

import pytest
from eventsourcing.persistence import MapperDeserialisationError

from adapters.bootstrap import Services
from adapters.pd_keys import PdKeyStore
from adapters.settings import load_settings
from api.cli_audit import replay
from domain import commands as c
from domain.identity import account_stream_id
from domain.values import Channel, Contact, Direction
from tests.integration.pd_support import (
    SECRET,
    T0,
    catch_up,
    erase_now,
    history,
    ledger_services,
    new_account,
    read_models,
    stored_states,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def services(database_url: str) -> Iterator[Services]:
    """The ledger on this run's database."""
    with ledger_services(database_url) as built:
        yield built


class TestSealing:
    def test_personal_fields_are_stored_encrypted(self, services: Services) -> None:
        account = new_account()

        history(services, account)

        states = stored_states(services, account)
        assert all(SECRET.encode() not in s for s in states)
        assert sum(b'"sealed"' in s for s in states) == 3

    def test_one_key_per_account(self, services: Services) -> None:
        account = new_account()

        history(services, account)

        with services.pool.connection() as conn:
            rows = conn.execute("SELECT generation, key IS NOT NULL FROM pd_keys"
                                " WHERE account_id = %s", (account_stream_id(account),))
            assert rows.fetchall() == [(1, True)]

    def test_a_missing_key_is_an_error_for_live_data(self, services: Services) -> None:
        account = new_account()
        history(services, account)
        stream = account_stream_id(account)

        with key_lost(services, stream), pytest.raises(MapperDeserialisationError,
                                                        match="no data key"):
            list(services.ledger.repository.event_store.get(stream))


@contextmanager
def key_lost(services: Services, stream: UUID) -> Iterator[None]:
    """The account's key row is gone for a while (then put back: the log is shared)."""
    with services.pool.connection() as conn:
        row = conn.execute("DELETE FROM pd_keys WHERE account_id = %s RETURNING *",
                           (stream,)).fetchone()
    assert row is not None
    services.keys.forget()
    try:
        yield
    finally:
        with services.pool.connection() as conn:
            conn.execute(f"INSERT INTO pd_keys VALUES ({', '.join(['%s'] * len(row))})", row)
        services.keys.forget()


class TestErasure:
    def test_the_key_goes_and_the_events_stay_as_stored(self, services: Services) -> None:
        account = new_account()
        history(services, account)
        before = stored_states(services, account)

        erase_now(services, account)

        assert stored_states(services, account)[: len(before)] == before
        events = list(services.ledger.repository.event_store.get(account_stream_id(account)))
        texts = [getattr(e, n) for e in events for n in ("subject", "text", "summary")
                 if hasattr(e, n)]
        assert texts and set(texts) == {"[erased]"}
        assert events[1].contact == Contact(  # type: ignore[attr-defined]
            name="[erased]", phone="[erased]", email="[erased]", postal_address="[erased]")
        assert events[-1].ground == "152-ФЗ ст. 21 ч. 5"  # type: ignore[attr-defined]

    def test_read_models_show_erased_and_a_rebuild_gives_the_same(
        self, services: Services
    ) -> None:
        account = new_account()
        history(services, account)
        catch_up(services)
        erase_now(services, account)
        catch_up(services)
        live = read_models(services, account)

        for name in ("timeline", "appeal_status"):
            services.projector(name).reset()
        catch_up(services)

        assert read_models(services, account) == live
        assert SECRET not in str(live)
        assert live["appeals"][0]["contact"]["phone"] == "[erased]"

    def test_what_is_written_after_an_erasure_is_readable_under_a_new_key(
        self, services: Services
    ) -> None:
        account = new_account()
        history(services, account)
        erase_now(services, account)

        services.committer.execute(c.RecordInteraction(
            account_number=account, channel=Channel.OFFICE, direction=Direction.INBOUND,
            occurred_at=T0, summary="Снова пришёл"), "operator-1", T0)

        events = list(services.ledger.repository.event_store.get(account_stream_id(account)))
        summaries = [e.summary for e in events if hasattr(e, "summary")]
        assert summaries == ["[erased]", "Снова пришёл"]

    def test_another_process_sees_the_erasure_within_its_cache_time(
        self, services: Services, database_url: str
    ) -> None:
        account = new_account()
        history(services, account)
        elsewhere = PdKeyStore(database_url, ttl=0.3)
        stream = account_stream_id(account)
        assert elsewhere.for_read(stream, 1) is not None

        erase_now(services, account)

        assert services.keys.for_read(stream, 1) is None  # this process: at once
        time.sleep(0.35)
        assert elsewhere.for_read(stream, 1) is None  # another: once its cache expired
        elsewhere.close()

    def test_replay_prints_erased_fields_and_records_its_access(
        self, services: Services, database_url: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        account = new_account()
        history(services, account)
        settings = dataclasses.replace(load_settings(), database_url=database_url)
        args = type("Args", (), {"account": account, "as_of": None, "version": None,
                                 "purpose": "audit:check"})

        replay(args, settings)  # type: ignore[arg-type]
        shown = capsys.readouterr().out
        erase_now(services, account)
        replay(args, settings)  # type: ignore[arg-type]
        after = capsys.readouterr().out

        assert SECRET in shown and SECRET not in after and "[erased]" in after
        catch_up(services)
        with services.pool.connection() as conn:
            rows = conn.execute("SELECT api, purpose, fields FROM pd_audit_accesses"
                                " WHERE account_number = %s", (account,)).fetchall()
        assert rows == [("cli", "audit:check", ["AppealAnswered.text",
                                                "AppealRegistered.contact",
                                                "AppealRegistered.subject",
                                                "AppealRegistered.text",
                                                "InteractionRecorded.summary"])]
