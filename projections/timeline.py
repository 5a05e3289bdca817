"""Account timeline: every interaction and appeal event of an account, newest first."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec
from psycopg import Connection, Cursor
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from domain.access_audit import AUDIT_EVENT_TYPES
from projections.base import LoggedEvent, event_time
from projections.contact_links import linked_contacts
from projections.page import RowSink
from projections.payload import camel_payload
from projections.pd_erasure import erase_timeline

_encoder = msgspec.json.Encoder()

_SUMMARIES = {
    "Opened": "Лицевой счёт открыт в журнале",
    "AppealRegistered": "Обращение зарегистрировано",
    "AppealAssigned": "Назначен исполнитель",
    "ClarificationRequested": "Запрошены уточнения у клиента",
    "AppealDeferred": "Обращение отложено",
    "AppealExtended": "Срок рассмотрения продлён",
    "AppealAnswered": "Дан ответ",
    "AppealClosed": "Обращение закрыто",
    "AppealLeftWithoutConsideration": "Оставлено без рассмотрения",
    "OutOfHoursReplied": "Автоответ: обращение поступило в нерабочее время",
    "SlaAtRisk": "Срок под угрозой нарушения",
    "SlaBreached": "Срок нарушен",
    "PersonalDataErased": "Персональные данные удалены",
    "ContactPointRecorded": "Записан контакт клиента",
    "ConsentGiven": "Клиент дал согласие на уведомления",
    "ConsentWithdrawn": "Клиент отозвал согласие на уведомления",
    "NotificationRequested": "Уведомление запрошено",
    "NotificationNotSent": "Уведомление не отправлено",
    "NotificationSent": "Уведомление отправлено",
    "NotificationDelivered": "Уведомление доставлено",
    "NotificationRead": "Уведомление прочитано",
    "NotificationFailed": "Уведомление не доставлено",
    "SurveySent": "Отправлен опрос о качестве обслуживания",
    "SurveyNotSent": "Опрос о качестве обслуживания не отправлен",
    "LinkedToAccount": "Обратившийся определён как клиент лицевого счёта",
}
"""What an operator reads for each event type (an interaction shows its own summary)."""
PERSONAL_SUMMARIES = frozenset({"InteractionRecorded", "AppealRegistered"})
"""Event types whose summary is made of personal data (the contact's, the appeal's subject)."""


class TimelineEntry(msgspec.Struct, frozen=True):
    """One line of an account's timeline."""

    position: int
    account_number: str
    event_type: str
    occurred_at: datetime
    channel: str | None
    appeal_number: str | None
    summary: str
    actor: str | None
    details: dict[str, Any]


COLUMNS = ("position", "account_id", "account_number", "event_type", "occurred_at", "channel",
           "appeal_number", "summary", "actor", "details")
_INSERT = (f"INSERT INTO timeline_entries ({', '.join(COLUMNS)})"
           f" VALUES ({', '.join(['%s'] * len(COLUMNS))}) ON CONFLICT DO NOTHING")


class TimelineProjection:
    """Writes one `timeline_entries` row per event of an account's stream."""

    name = "timeline"
    tables = ("timeline_entries",)

    def apply(self, cur: Cursor[Any], logged: LoggedEvent) -> None:
        """Add the event's row (accesses to personal data are audited elsewhere)."""
        if logged.type == "PersonalDataErased":
            erase_timeline(cur, logged.account_number, _summary)
        row = entry_row(logged)
        if row is not None:
            cur.execute(_INSERT, row)

    def apply_page(self, sink: RowSink, page: Sequence[LoggedEvent]) -> None:
        """The same for a page: rows are copied in bulk; an erasure sees the rows before it."""
        for logged in page:
            if logged.type == "PersonalDataErased":
                erase_timeline(sink.cursor(), logged.account_number, _summary)
            row = entry_row(logged)
            if row is not None:
                sink.add("timeline_entries", COLUMNS, row)


def entry_row(logged: LoggedEvent) -> tuple[Any, ...] | None:
    """The event's timeline row in COLUMNS order; None for what the timeline does not show."""
    if logged.type in AUDIT_EVENT_TYPES:
        return None
    event, data = logged.event, vars(logged.event)
    channel = data.get("channel")
    return (
        logged.position, event.originator_id, logged.account_number,
        logged.type, event_time(event), None if channel is None else str(channel),
        data.get("appeal_number"), _summary(logged.type, data),
        data.get("recorded_by") or data.get("registered_by") or data.get("by"),
        Jsonb(camel_payload(event), dumps=_json),
    )


def _json(value: Any) -> bytes:
    return _encoder.encode(value)


def _summary(kind: str, data: dict[str, Any]) -> str:
    if kind == "InteractionRecorded":
        return str(data["summary"])
    text = _SUMMARIES.get(kind, kind)
    return f"{text}: {data['subject']}" if kind == "AppealRegistered" else text


def read_timeline(
    conn: Connection[Any], account_number: str, first: int, before: int | None
) -> list[TimelineEntry]:
    """Up to `first` entries of an account older than position `before`, newest first,
    with those of the unidentified contacts linked to it (projections/contact_links.py)."""
    linked = linked_contacts(conn, account_number)
    which = "account_number = ANY(%s)" if linked else "account_number = %s"  # keeps the index
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            "SELECT position, account_number, event_type, occurred_at, channel, appeal_number,"
            f" summary, actor, details FROM timeline_entries WHERE {which}"
            " AND position < %s ORDER BY position DESC LIMIT %s",
            ([account_number, *linked] if linked else account_number,
             before if before is not None else 2**62, first),
        ).fetchall()
    return [TimelineEntry(**row) for row in rows]


def account_exists(conn: Connection[Any], account_number: str) -> bool:
    """Whether the timeline has seen the account."""
    row = conn.execute(
        "SELECT 1 FROM timeline_entries WHERE account_number = %s LIMIT 1", (account_number,)
    ).fetchone()
    return row is not None


def read_entry(conn: Connection[Any], position: int) -> TimelineEntry | None:
    """The entry of one log position."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(
            "SELECT position, account_number, event_type, occurred_at, channel, appeal_number,"
            " summary, actor, details FROM timeline_entries WHERE position = %s",
            (position,),
        ).fetchone()
    return None if row is None else TimelineEntry(**row)
