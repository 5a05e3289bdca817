"""Recording the accesses of whole-log work (export, rebuild): one record per account, batched.

The CLI reads many accounts' events at once; each account still gets its own
PersonalDataAccessed (the auditor asks per account), stored in batches of group-committed
transactions, and all of them before the work's output is written or goes live.
"""

from __future__ import annotations

import getpass
import uuid
from collections.abc import Iterable, Mapping, Set
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import Mapper, StoredEvent
from psycopg import sql

from adapters.personal_data import AccessRecorder, Reader
from domain.events import AccountOpened
from domain.personal_data import personal_fields_by_type

BATCH = 1_000
"""Accounts recorded per call; the recorder commits them in transactions of its own size."""
WHOLE_EVENTS = "events"
"""The field named when an account's events hold no personal field: its events were taken."""

_LIVE_KEYS = sql.SQL(
    "SELECT e.originator_id, array_agg(DISTINCT e.topic) FROM {} e"
    " JOIN pd_keys k ON k.account_id = e.originator_id AND k.key IS NOT NULL"
    " GROUP BY e.originator_id")
_OPENED = sql.SQL("SELECT originator_id, originator_version, topic, state FROM {}"
                  " WHERE originator_version = 1 AND originator_id = ANY(%s)")


def fields_of(topics: Iterable[str]) -> set[str]:
    """`EventType.field` of each personal field the stored topics can hold."""
    names = {t.rsplit(".", 1)[-1].rsplit(":", 1)[-1] for t in topics}
    return {f"{n}.{f}" for n in names for f in personal_fields_by_type(n)}


def account_numbers(
    url: str, table: sql.Composable, mapper: Mapper[UUID], stream_ids: Iterable[UUID]
) -> dict[UUID, str]:
    """The account number of each account stream among the ids (other streams are left out:
    audit streams, campaigns, checkpoints hold no account's events)."""
    ids, numbers = list(stream_ids), {}
    with psycopg.connect(url) as conn, conn.cursor(binary=True) as cur:
        for start in range(0, len(ids), BATCH * 10):
            cur.execute(_OPENED.format(table), (ids[start:start + BATCH * 10],))
            for sid, version, topic, state in cur.fetchall():
                opened: Any = mapper.to_domain_event(StoredEvent(sid, version, topic, state))
                if isinstance(opened, AccountOpened):
                    numbers[sid] = opened.number
    return numbers


def readable_accounts(
    url: str, table: sql.Composable, mapper: Mapper[UUID]
) -> dict[str, set[str]]:
    """Every account whose personal data reads now (a live key), with the fields it can hold."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(_LIVE_KEYS.format(table)).fetchall()
    topics = {UUID(str(sid)): list(names) for sid, names in rows}
    numbers = account_numbers(url, table, mapper, topics)
    return {numbers[sid]: fields_of(names) for sid, names in topics.items() if sid in numbers}


def record_all(
    recorder: AccessRecorder, reader: Reader, reads: Mapping[str, Set[str]]
) -> int:
    """Store one access per account, BATCH accounts at a time; raises at the first failure,
    so the caller writes nothing. How many accounts were recorded."""
    accounts = sorted(reads)
    for start in range(0, len(accounts), BATCH):
        chunk = accounts[start:start + BATCH]
        recorder.record(reader, {a: reads[a] or {WHOLE_EVENTS} for a in chunk})
    return len(accounts)


def record_rebuild(
    url: str, table: sql.Composable, mapper: Mapper[UUID], recorder: AccessRecorder,
    projection: str,
) -> int:
    """Before a rebuild decodes the log: one access per account with readable personal data,
    purpose `rebuild:<projection>`, through the CLI. How many accounts were recorded."""
    reader = Reader(actor=f"cli:{getpass.getuser()}", role="cli",  # the system's own purpose,
                    purpose=f"rebuild:{projection}",  # not one a person declares
                    request_id=uuid.uuid4().hex, api="cli")
    return record_all(recorder, reader, readable_accounts(url, table, mapper))
