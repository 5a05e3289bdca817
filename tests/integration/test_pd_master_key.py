"""Data keys wrapped by a master key on real PostgreSQL: not usable from the table alone, a
rotation window where both masters read, `rewrap`, and clear errors for a wrong master key."""

from __future__ import annotations

import argparse
import base64
import dataclasses
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import MapperDeserialisationError
from psycopg import sql

from adapters.bootstrap import Services
from adapters.embedded import create_database
from adapters.master_key import MasterKey, MasterKeyError, MasterKeys, local_master_key
from adapters.pd_key_rotation import check_master_keys, rewrap
from adapters.pd_keys import PdKeyStore
from adapters.pd_mapper import PersonalDataMapper
from adapters.settings import load_settings
from api.cli_keys import rewrap_keys
from domain.identity import account_stream_id
from tests.integration.pd_support import SECRET, erase_now, history, ledger_services, new_account

pytestmark = pytest.mark.integration


def new_master() -> tuple[str, MasterKey]:
    """A fresh master key: its base64 text and the key."""
    text = base64.b64encode(AESGCM.generate_key(256)).decode()
    return text, MasterKey.decode(text, "test")


@pytest.fixture(scope="module")
def keys_url(pg_server_url: str, run_id: str) -> Iterator[str]:
    """A database of this module alone: its tests rewrap every key of the table."""
    name = f"ledger_test_{run_id}_keys"
    yield create_database(pg_server_url, name)
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))


@pytest.fixture(scope="module")
def services(keys_url: str) -> Iterator[Services]:
    """The ledger on that database, with the process's master key (the data dir's file)."""
    with ledger_services(keys_url) as built:
        yield built


def key_rows(url: str) -> dict[UUID, tuple[bytes | None, str | None]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT account_id, key, master_key_id FROM pd_keys").fetchall()
    return {r[0]: (None if r[1] is None else bytes(r[1]), r[2]) for r in rows}


def read_with(services: Services, store: PdKeyStore, account: str) -> list[Any]:
    """The account's events decoded by a mapper holding `store` (another process's keys)."""
    mapper = type("Mapper", (PersonalDataMapper,), {"keys": store})(
        services.ledger.mapper.transcoder)
    stored = services.ledger.recorder.select_events(account_stream_id(account))
    return [mapper.to_domain_event(s) for s in stored]


def summaries(events: list[Any]) -> list[str]:
    return [e.summary for e in events if hasattr(e, "summary")]


class TestWrapping:
    def test_the_table_holds_wrapped_keys_not_the_data_keys(self, services: Services) -> None:
        account = new_account()
        history(services, account)
        stream = account_stream_id(account)

        stored, master_id = key_rows(services.url)[stream]

        masters = services.keys.masters
        assert stored is not None and master_id == masters.current.id
        data_key = masters.unwrap(stream, master_id, stored)
        assert len(data_key) == 32 and data_key not in stored and len(stored) == 12 + 32 + 16
        assert SECRET in summaries(read_with(services, PdKeyStore(services.url, ttl=0),
                                             account))[0]

    def test_a_key_stored_before_wrapping_reads_and_is_wrapped_on_first_read(
        self, services: Services
    ) -> None:
        account = new_account()
        history(services, account)
        stream = account_stream_id(account)
        masters = services.keys.masters
        stored, master_id = key_rows(services.url)[stream]
        assert stored is not None
        raw = masters.unwrap(stream, master_id, stored)
        with psycopg.connect(services.url) as conn:  # as the table was before migration 0032
            conn.execute("UPDATE pd_keys SET key = %s, master_key_id = NULL"
                         " WHERE account_id = %s", (raw, stream))

        events = read_with(services, PdKeyStore(services.url, ttl=0), account)

        assert SECRET in summaries(events)[0]
        upgraded, upgraded_id = key_rows(services.url)[stream]
        assert upgraded_id == masters.current.id and upgraded != raw
        assert upgraded is not None and masters.unwrap(stream, upgraded_id, upgraded) == raw


class TestWrongMasterKey:
    def test_reading_with_another_master_key_is_a_clear_error(self, services: Services) -> None:
        account = new_account()
        history(services, account)
        _, wrong = new_master()
        store = PdKeyStore(services.url, ttl=0, masters=MasterKeys(wrong))

        with pytest.raises(MapperDeserialisationError, match="not configured"):
            read_with(services, store, account)
        with pytest.raises(MasterKeyError, match=f"{services.keys.masters.current.id}, which is"
                           " not configured"):
            check_master_keys(services.url, MasterKeys(wrong))

    def test_a_process_started_with_another_master_key_stops_saying_why(
        self, services: Services, tmp_path: Path
    ) -> None:
        history(services, new_account())
        wrong_text, wrong = new_master()
        env = os.environ | {"LEDGER_DATABASE_URL": services.url, "LEDGER_MASTER_KEY": wrong_text,
                            "LEDGER_DATA_DIR": str(tmp_path)}

        done = subprocess.run([sys.executable, "-m", "api.cli", "project", "timeline"], env=env,
                              capture_output=True, text=True, timeout=120)

        assert done.returncode == 2, done.stderr
        assert (f"wrapped by master key {services.keys.masters.current.id}, which is not "
                f"configured" in done.stderr and wrong.id in done.stderr)
        assert "Traceback" not in done.stderr

    def test_a_wrapped_key_moved_to_another_account_does_not_unwrap(
        self, services: Services
    ) -> None:
        first, second = new_account(), new_account()
        history(services, first)
        history(services, second)
        masters = services.keys.masters
        moved = key_rows(services.url)[account_stream_id(first)][0]

        with pytest.raises(MasterKeyError, match="the row was altered"):
            masters.unwrap(account_stream_id(second), masters.current.id, moved or b"")


class TestRotation:
    def test_both_masters_read_in_the_window_and_rewrap_moves_every_key(
        self, services: Services, capsys: pytest.CaptureFixture[str]
    ) -> None:
        accounts = [new_account() for _ in range(3)]
        for account in accounts:
            history(services, account)
        erase_now(services, accounts[0])
        old = services.keys.masters.current
        new_text, new = new_master()
        window = MasterKeys(new, (old,))
        made_new = PdKeyStore(services.url, ttl=0, masters=window)
        fresh = account_stream_id(new_account())
        made_new.for_write(fresh)  # a process already on the new master makes a key

        check_master_keys(services.url, window)
        with pytest.raises(MasterKeyError, match=f"wrapped by master key {old.id}"):
            check_master_keys(services.url, MasterKeys(new))
        for account in accounts[1:]:
            assert SECRET in summaries(read_with(services, made_new, account))[0]

        with pytest.raises(MasterKeyError):  # without the old master nothing can move
            rewrap(services.url, MasterKeys(new), lambda n: None)
        configured = load_settings()  # the e2e suite's shared LEDGER_MASTER_KEY, if it ran
        old_text = configured.master_key or local_master_key(configured.data_dir).read_text()
        settings = dataclasses.replace(load_settings(), database_url=services.url,
                                       master_key=new_text, master_keys_previous=(old_text,))
        assert rewrap_keys(argparse.Namespace(), settings) == 0

        rows = key_rows(services.url)
        assert {m for k, m in rows.values() if k is not None} == {new.id}
        assert rows[account_stream_id(accounts[0])][0] is None  # erased stays erased
        only_new = PdKeyStore(services.url, ttl=0, masters=MasterKeys(new))
        check_master_keys(services.url, MasterKeys(new))
        assert summaries(read_with(services, only_new, accounts[0]))[0] == "[erased]"
        for account in accounts[1:]:
            assert SECRET in summaries(read_with(services, only_new, account))[0]
        assert only_new.for_read(fresh, 1) is not None
        assert "rewrapped" in capsys.readouterr().err
