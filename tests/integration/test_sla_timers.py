"""The SLA timers read model on real PostgreSQL: which events start, stop, pause and re-target."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import msgspec
import pytest

from adapters.bootstrap import Services
from adapters.bulk_rebuild import BulkRebuild
from adapters.clock import SlaClock
from adapters.follower import LogFollower
from adapters.projector import Projector, position_of
from domain import commands as c
from domain import notification_commands as n
from domain.identity import account_stream_id
from domain.notification_values import NotificationChannel as C
from domain.replay import replay_until
from domain.sla import DEFAULT_POLICY, SlaPolicy, load_policy
from domain.sla_timer import TimerState
from domain.values import AppealStatus, AppealType, Channel, Direction, WithoutConsiderationReason
from projections.base import Projection
from projections.sla_timer_queries import TimerFilter, TimerView, read_timers
from projections.sla_timers import SlaTimersProjection
from tests.integration.notify_support import notifications, notifier, reachable_by
from tests.integration.sla_support import (
    MSK,
    act,
    catch_up,
    contact,
    events,
    new_account,
    now,
    register,
    services_on,
    sla_database,
    timers,
)

pytestmark = pytest.mark.integration

FRIDAY = datetime(2026, 2, 20, 12, 0, tzinfo=MSK)
THURSDAY = datetime(2026, 6, 11, 12, 0, tzinfo=MSK)
PAUSING = SlaPolicy(version="pause-1", rules=tuple(
    msgspec.structs.replace(r, pauses_in=(AppealStatus.AWAITING_CLIENT,))
    for r in DEFAULT_POLICY.rules))
"""The default policy with every timer paused while the appeal awaits the client."""


@pytest.fixture(scope="module")
def services(pg_server_url: str, run_id: str) -> Iterator[Services]:
    with sla_database(pg_server_url, f"ledger_sla_timers_{run_id}") as url, \
            services_on(url) as built:
        yield built


def chat_inquiry(services: Services, received: datetime = THURSDAY) -> tuple[str, str]:
    account = new_account()
    return account, register(services, account, received, Channel.CHAT, AppealType.INQUIRY)


def state(view: TimerView) -> TimerState:
    return view.timer.state(now())


class TestStopping:
    def test_an_answer_in_time_meets_the_answer_timer(self, services: Services) -> None:
        _, number = chat_inquiry(services)
        answered = THURSDAY + timedelta(days=1)
        act(services, c.AnswerAppeal(appeal_number=number, channel=Channel.CHAT, text="Ответ",
                                     at=answered))
        catch_up(services)

        timer = timers(services, number)["interactive.answer"]

        assert state(timer) is TimerState.MET
        assert timer.timer.met_at == answered

    def test_a_late_answer_is_a_breach(self, services: Services) -> None:
        _, number = chat_inquiry(services)
        act(services, c.AnswerAppeal(appeal_number=number, channel=Channel.CHAT, text="Ответ",
                                     at=datetime(2026, 6, 18, 0, 1, tzinfo=MSK)))
        catch_up(services)

        assert state(timers(services, number)["interactive.answer"]) is TimerState.BREACHED

    def test_assignment_meets_the_registration_timer_only(self, services: Services) -> None:
        number = register(services, new_account(), THURSDAY, Channel.MAIL)
        act(services, c.AssignAppeal(appeal_number=number, assignee="ivanova",
                                     at=THURSDAY + timedelta(hours=2)))
        catch_up(services)

        found = timers(services, number)

        assert found["written.registration"].timer.outcome == TimerState.MET
        assert found["written.answer"].timer.outcome is None
        assert found["written.answer"].assignee == "ivanova"

    def test_leaving_without_consideration_cancels_the_timers(self, services: Services) -> None:
        number = register(services, new_account(), THURSDAY, Channel.MAIL)
        act(services, c.LeaveWithoutConsideration(
            appeal_number=number, reason=WithoutConsiderationReason.OBSCENE,
            at=THURSDAY + timedelta(hours=1)))
        catch_up(services)

        assert {state(v) for v in timers(services, number).values()} == {TimerState.CANCELLED}


class TestExtension:
    def test_re_targets_the_answer_within_ten_working_days(self, services: Services) -> None:
        _, number = chat_inquiry(services, FRIDAY)
        extended_at = datetime(2026, 2, 25, 15, 0, tzinfo=MSK)
        act(services, c.ExtendAppeal(appeal_number=number, reason="Проверка", at=extended_at))
        catch_up(services)

        found = timers(services, number)

        assert found["interactive.answer"].timer.outcome == TimerState.CANCELLED
        assert found["interactive.answer"].timer.stopped_at == extended_at
        assert found["interactive.extended"].timer.started_at == FRIDAY
        assert found["interactive.extended"].timer.due_date == date(2026, 3, 10)

    def test_a_complaint_online_has_thirty_calendar_days(self, services: Services) -> None:
        number = register(services, new_account(), FRIDAY, Channel.CHAT, AppealType.COMPLAINT)
        catch_up(services)

        assert {k: v.timer.due_date for k, v in timers(services, number).items()} == {
            "complaint.answer": date(2026, 3, 23)}


class TestOnlineOfficeOutOfHours:
    def test_a_deferred_appeal_is_due_again_the_next_working_day(self, services: Services) -> None:
        _, number = chat_inquiry(services)
        act(services, c.DeferAppeal(appeal_number=number, reason="Конец смены",
                                    at=datetime(2026, 6, 11, 17, 55, tzinfo=MSK)))
        act(services, c.AssignAppeal(appeal_number=number, assignee="petrova",
                                     at=datetime(2026, 6, 15, 9, 0, tzinfo=MSK)))
        catch_up(services)

        resume = timers(services, number)["deferred.resume"].timer

        assert resume.due_date == date(2026, 6, 15)  # Friday 12 June is Russia Day
        assert resume.outcome == TimerState.MET

    def test_an_appeal_at_night_is_recorded_with_the_reply(self, services: Services) -> None:
        account, number = chat_inquiry(services, datetime(2026, 6, 11, 22, 0, tzinfo=MSK))
        catch_up(services)

        reply = events(services, account)[-1]

        assert type(reply).__name__ == "OutOfHoursReplied"
        assert reply.taken_up_at == datetime(2026, 6, 15, 8, 0, tzinfo=MSK)
        assert timers(services, number)["interactive.answer"].timer.due_date == date(2026, 6, 17)


class TestContacts:
    def test_an_inbound_call_owes_a_survey_within_24_hours(self, services: Services) -> None:
        account = new_account()
        act(services, contact(account, THURSDAY))
        act(services, contact(account, THURSDAY, direction=Direction.OUTBOUND))
        catch_up(services)

        found = contact_timers(services, account)

        assert [(v.timer.kind, v.timer.due_at) for v in found] == [
            ("survey.send", THURSDAY + timedelta(hours=24))]
        assert found[0].appeal_number is None and found[0].interaction_id is not None

    def test_a_call_s_survey_runs_from_its_end_live_and_as_of(self, services: Services) -> None:
        account, ended = new_account(), THURSDAY + timedelta(minutes=45)
        act(services, contact(account, THURSDAY, ended_at=ended))
        catch_up(services)

        (live,) = contact_timers(services, account)
        events = services.ledger.repository.event_store.get(account_stream_id(account))
        replayed = replay_until(events)

        assert (live.timer.started_at, live.timer.due_at) == (ended, ended + timedelta(hours=24))
        assert replayed is not None
        assert [(t.kind, t.started_at, t.due_at) for t in replayed.timers] == [
            ("survey.send", ended, ended + timedelta(hours=24))]

    def test_an_agreed_call_back_is_met_by_a_later_call_out(self, services: Services) -> None:
        account, agreed = new_account(), THURSDAY + timedelta(hours=3)
        act(services, contact(account, THURSDAY, callback_at=agreed))
        act(services, contact(account, THURSDAY + timedelta(hours=1), Channel.CHAT,
                              Direction.OUTBOUND))
        before = THURSDAY + timedelta(hours=2)
        act(services, contact(account, before, direction=Direction.OUTBOUND))
        catch_up(services)

        callback = {v.timer.kind: v.timer for v in contact_timers(services, account)}[
            "callback.agreed"]

        assert callback.due_at == agreed
        assert (callback.outcome, callback.met_at) == (TimerState.MET, before)

    def test_a_survey_recorded_not_sent_then_sent_is_met_live_rebuilt_and_as_of(
        self, services: Services
    ) -> None:
        bot = notifier(services)
        bot.start_at_head()
        account = new_account()
        reachable_by(services, account, C.EMAIL, email="client@example.ru")
        act(services, contact(account, now()))
        while bot.step():
            pass
        (survey,) = [n for n in notifications(services, account) if n.kind == "survey"]
        which = survey.notification_id
        act(services, n.RecordNotificationNotSent(
            account_number=account, notification_id=which, at=now(), reason="согласие отозвано"))
        sent = now()  # its send was in flight: it went out after all
        act(services, n.RecordNotificationSent(
            account_number=account, notification_id=which, at=sent, gateway_message_id="smtp-1"))
        catch_up(services)

        def survey_timer() -> tuple[object, ...]:
            (found,) = [(v.timer.outcome, v.timer.met_at) for v in contact_timers(
                services, account) if v.timer.kind == "survey.send"]
            return found

        live = survey_timer()
        projected(services, services.projections["sla_timers"], 1)
        replayed = replay_until(services.ledger.repository.event_store.get(
            account_stream_id(account)))

        assert live == (TimerState.MET, sent)
        assert survey_timer() == live
        assert replayed is not None
        assert [(t.state, t.stopped_at) for t in replayed.timers
                if t.kind == "survey.send"] == [live]


def contact_timers(services: Services, account: str) -> list[TimerView]:
    with services.pool.connection() as conn:
        return read_timers(conn, TimerFilter(account_number=account), now(), 50)


def without(rule_id: str, version: str, tmp_path: Path) -> SlaPolicy:
    """The default policy without one rule, written to a file and loaded as an operator would."""
    rules = [r for r in DEFAULT_POLICY.rules if r.id != rule_id]
    path = tmp_path / "policy.json"
    path.write_bytes(msgspec.json.encode(SlaPolicy(version=version, rules=tuple(rules))))
    return load_policy(path)


def project_with(services: Services, policy: SlaPolicy, since: int, account: str) -> list[
        TimerView]:
    """The account's timers as another policy would make them (in a rolled-back transaction)."""
    follower = LogFollower(services.ledger, services.url)
    logged = [e for e in follower.read(since, limit=10_000) if e.account_number == account]
    follower.close()
    projection = SlaTimersProjection(policy)
    with services.pool.connection() as conn, conn.transaction(force_rollback=True):
        with conn.cursor() as cur:
            for event in logged:
                projection.apply(cur, event)
        return read_timers(conn, TimerFilter(account_number=account), now(), 50)


class TestPolicy:
    def test_the_policy_file_can_switch_the_survey_off(
        self, services: Services, tmp_path: Path
    ) -> None:
        account, since = new_account(), head(services)
        act(services, contact(account, THURSDAY))

        found = project_with(services, without("survey.send", "no-survey-1", tmp_path), since,
                             account)

        assert found == []

    def test_timers_record_the_policy_that_started_them(
        self, services: Services, tmp_path: Path
    ) -> None:
        account, since = new_account(), head(services)
        number = register(services, account, THURSDAY, Channel.MAIL)
        policy = without("survey.send", "no-survey-1", tmp_path)

        found = project_with(services, policy, since, account)
        catch_up(services)

        assert {v.timer.policy_version for v in found} == {"no-survey-1"}
        assert {v.timer.policy_version for v in timers(services, number).values()} == {
            DEFAULT_POLICY.version}

    def test_a_status_the_policy_pauses_in_moves_the_due_date(self, services: Services) -> None:
        since = head(services)
        account, number = chat_inquiry(services, FRIDAY)
        act(services, c.RequestClarification(appeal_number=number, note="Уточните период",
                                             at=datetime(2026, 2, 24, 10, 0, tzinfo=MSK)))
        act(services, c.AssignAppeal(appeal_number=number, assignee="ivanova",
                                     at=datetime(2026, 2, 25, 10, 0, tzinfo=MSK)))
        found = project_with(services, PAUSING, since, account)

        answer = {v.timer.kind: v.timer for v in found}["interactive.answer"]
        assert answer.due_date == date(2026, 2, 27)
        assert answer.paused_seconds == 24 * 3600


def head(services: Services) -> int:
    return services.ledger.recorder.max_notification_id() or 0


class TestRebuild:
    def test_a_rebuild_gives_the_same_timers(self, services: Services) -> None:
        chat_inquiry(services, FRIDAY)
        catch_up(services)
        before = all_rows(services)
        projector = services.projector("sla_timers")

        projector.reset()
        projector.catch_up()

        assert all_rows(services) == before


    @pytest.mark.parametrize("policy", [DEFAULT_POLICY, PAUSING], ids=["default", "pausing"])
    @pytest.mark.parametrize("page", [1, 2, 5, 5000])
    def test_a_rebuild_in_pages_gives_the_rows_the_live_follower_wrote(
        self, services: Services, policy: SlaPolicy, page: int
    ) -> None:
        marked(services)
        projection = SlaTimersProjection(policy)
        try:
            expected = projected(services, projection, None)
            assert kinds(services) == {"breached", "met", "warned"} | (
                {"paused"} if policy is PAUSING else set())

            rebuilt = projected(services, projection, page)

            assert rebuilt == expected
            assert position_of(services.pool, "sla_timers") == head(services)
        finally:
            projected(services, services.projections["sla_timers"], None)


def marked(services: Services) -> None:
    """Warnings and breaches recorded for every open timer by a clock a year ahead: the log
    then holds marks besides starts, stops and re-targets, many of them across pages."""
    catch_up(services)
    SlaClock(services, now=lambda: now() + timedelta(days=365)).scan()
    catch_up(services)


def projected(services: Services, projection: Projection, page: int | None) -> tuple[
        list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Both tables rebuilt from the start: event by event as the live follower (page None),
    or a page at a time as `ledger projections rebuild` does."""
    live = LogFollower(services.ledger, services.url)  # what `ledger serve` reads with
    projector = Projector(services.pool, live, projection)
    projector.reset()
    if page is None:
        projector.catch_up()
    else:
        BulkRebuild(services.pool, LogFollower(services.ledger, services.url), projection,
                    page).catch_up()
    live.close()
    return all_rows(services), appeal_rows(services)


def kinds(services: Services) -> set[str]:
    """What the timers went through: which of breached, met, warned and paused occur."""
    with services.pool.connection() as conn:
        row = conn.execute(
            "SELECT count(*) FILTER (WHERE breach_recorded), count(*) FILTER (WHERE outcome ="
            " 'met'), count(*) FILTER (WHERE cardinality(warned_shares) > 0),"
            " count(*) FILTER (WHERE paused_seconds > 0) FROM sla_timers").fetchone()
    assert row is not None
    return {k for k, n in zip(("breached", "met", "warned", "paused"), row, strict=True) if n}


def all_rows(services: Services) -> list[tuple[object, ...]]:
    with services.pool.connection() as conn:
        return conn.execute("SELECT * FROM sla_timers ORDER BY timer_id").fetchall()


def appeal_rows(services: Services) -> list[tuple[object, ...]]:
    with services.pool.connection() as conn:
        return conn.execute("SELECT * FROM sla_timers_appeals ORDER BY appeal_number").fetchall()
