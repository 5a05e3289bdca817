"""The SLA policy of SLA.md as data: which timers start, when they fall due and warn."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.calendar import BusinessCalendar
from domain.sla import (
    DEFAULT_POLICY,
    SlaPolicy,
    TermUnit,
    TimerRule,
    due,
    load_policy,
    warning_instants,
)
from domain.values import AppealForm, AppealType, Channel

pytestmark = pytest.mark.unit

MOSCOW = ZoneInfo("Europe/Moscow")
CALENDAR = BusinessCalendar()
DAY_RULES = [r for r in DEFAULT_POLICY.rules if r.unit in ("working_days", "calendar_days")]


def moscow(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=MOSCOW)


def ids(rules: list[TimerRule]) -> list[str]:
    return [rule.id for rule in rules]


class TestDefaultPolicy:
    @pytest.mark.parametrize(
        ("rule_id", "term", "unit"),
        [
            ("written.registration", 1, TermUnit.WORKING_DAYS),
            ("written.answer", 30, TermUnit.CALENDAR_DAYS),
            ("interactive.answer", 3, TermUnit.WORKING_DAYS),
            ("interactive.extended", 10, TermUnit.WORKING_DAYS),
            ("complaint.answer", 30, TermUnit.CALENDAR_DAYS),
            ("survey.send", 24, TermUnit.HOURS),
            ("callback.agreed", 0, TermUnit.AGREED),
            ("deferred.resume", 1, TermUnit.WORKING_DAYS),
        ],
    )
    def test_reproduces_the_table_of_sla_md(self, rule_id: str, term: int, unit: str) -> None:
        rule = DEFAULT_POLICY.rule(rule_id)

        assert (rule.term, rule.unit) == (term, unit)

    def test_has_exactly_the_timers_of_sla_md(self) -> None:
        assert len(DEFAULT_POLICY.rules) == 8

    def test_warns_at_70_and_90_percent_and_pauses_nowhere(self) -> None:
        assert {r.warn_at for r in DEFAULT_POLICY.rules} == {(0.7, 0.9)}
        assert {r.pauses_in for r in DEFAULT_POLICY.rules} == {()}

    def test_extension_replaces_the_interactive_answer_timer(self) -> None:
        assert "AppealExtended" in DEFAULT_POLICY.rule("interactive.answer").cancelled_on


class TestRulesFor:
    @pytest.mark.parametrize(
        ("event", "channel", "appeal_type", "form", "expected"),
        [
            ("AppealRegistered", Channel.MAIL, AppealType.COMPLAINT, None,
             ["written.registration", "written.answer"]),
            ("AppealRegistered", Channel.EMAIL, AppealType.INQUIRY, None,
             ["written.registration", "written.answer"]),
            ("AppealRegistered", Channel.OFFICE, AppealType.STATEMENT, AppealForm.WRITTEN,
             ["written.registration", "written.answer"]),
            ("AppealRegistered", Channel.OFFICE, AppealType.STATEMENT, None, []),
            ("AppealRegistered", Channel.CHAT, AppealType.INQUIRY, None, ["interactive.answer"]),
            ("AppealRegistered", Channel.MOBILE_APP, AppealType.COMPLAINT, None,
             ["complaint.answer"]),
            ("AppealExtended", Channel.PERSONAL_ACCOUNT, AppealType.STATEMENT, None,
             ["interactive.extended"]),
            ("AppealExtended", Channel.MAIL, AppealType.STATEMENT, None, []),
            ("AppealExtended", Channel.CHAT, AppealType.COMPLAINT, None, []),
            ("InteractionRecorded", Channel.PHONE, None, None, ["survey.send"]),
            ("InteractionRecorded", Channel.MAIL, None, None, []),
            ("CallbackAgreed", Channel.PHONE, None, None, ["callback.agreed"]),
            ("AppealDeferred", Channel.CHAT, AppealType.INQUIRY, None, ["deferred.resume"]),
        ],
    )  # fmt: skip
    def test_picks_the_timers_an_event_starts(
        self,
        event: str,
        channel: Channel,
        appeal_type: AppealType | None,
        form: AppealForm | None,
        expected: list[str],
    ) -> None:
        rules = DEFAULT_POLICY.rules_for(event, channel, appeal_type, form)

        assert ids(rules) == expected


class TestDue:
    @pytest.mark.parametrize(
        ("received", "rule_id", "last_day"),
        [
            (moscow(2026, 2, 20, 15), "written.registration", date(2026, 2, 24)),
            (moscow(2026, 2, 20, 15), "interactive.answer", date(2026, 2, 26)),
            (moscow(2026, 2, 20, 15), "interactive.extended", date(2026, 3, 10)),
            (moscow(2026, 2, 20, 15), "written.answer", date(2026, 3, 23)),
            (moscow(2026, 6, 11, 9), "written.registration", date(2026, 6, 15)),
            (moscow(2026, 6, 11, 9), "interactive.answer", date(2026, 6, 17)),
            (moscow(2026, 6, 11, 9), "interactive.extended", date(2026, 6, 26)),
            (moscow(2026, 6, 11, 9), "complaint.answer", date(2026, 7, 13)),
        ],
    )
    def test_day_terms_end_at_midnight_after_the_last_day(
        self, received: datetime, rule_id: str, last_day: date
    ) -> None:
        rule = DEFAULT_POLICY.rule(rule_id)

        result = due(rule, received, CALENDAR)

        midnight = moscow(last_day.year, last_day.month, last_day.day) + timedelta(days=1)
        assert result == (last_day, midnight)

    def test_receipt_at_half_past_eleven_moscow_counts_from_that_moscow_day(self) -> None:
        received = datetime(2026, 2, 19, 20, 30, tzinfo=UTC)  # Thu 23:30 in Moscow

        last_day, due_at = due(DEFAULT_POLICY.rule("written.registration"), received, CALENDAR)

        assert (last_day, due_at) == (date(2026, 2, 20), moscow(2026, 2, 21))

    def test_twenty_four_hours_means_twenty_four_hours(self) -> None:
        ended = moscow(2026, 2, 20, 23, 30)

        result = due(DEFAULT_POLICY.rule("survey.send"), ended, CALENDAR)

        assert result == (date(2026, 2, 21), moscow(2026, 2, 21, 23, 30))

    def test_callback_is_due_at_the_agreed_moment(self) -> None:
        agreed_at = moscow(2026, 2, 20, 16)

        result = due(DEFAULT_POLICY.rule("callback.agreed"), moscow(2026, 2, 20, 10), CALENDAR,
                     agreed_at=agreed_at)  # fmt: skip

        assert result == (date(2026, 2, 20), agreed_at)

    def test_callback_without_the_agreed_moment_is_refused(self) -> None:
        with pytest.raises(ValueError, match="agreed_at"):
            due(DEFAULT_POLICY.rule("callback.agreed"), moscow(2026, 2, 20, 10), CALENDAR)


class TestWarnings:
    def test_working_day_terms_warn_by_working_time(self) -> None:
        rule = DEFAULT_POLICY.rule("interactive.answer")  # 3 working days: Feb 24, 25, 26

        instants = warning_instants(rule, moscow(2026, 2, 20, 15), CALENDAR)

        assert instants == [moscow(2026, 2, 26, 2, 24), moscow(2026, 2, 26, 16, 48)]

    def test_calendar_day_terms_warn_by_calendar_time(self) -> None:
        rule = DEFAULT_POLICY.rule("written.answer")

        instants = warning_instants(rule, moscow(2026, 2, 20, 15), CALENDAR)

        assert instants == [moscow(2026, 3, 14), moscow(2026, 3, 20)]

    def test_hour_terms_warn_by_the_clock(self) -> None:
        rule = DEFAULT_POLICY.rule("survey.send")

        instants = warning_instants(rule, moscow(2026, 2, 20, 10), CALENDAR)

        assert instants == [moscow(2026, 2, 21, 2, 48), moscow(2026, 2, 21, 7, 36)]

    def test_callback_warns_within_the_time_until_the_agreed_moment(self) -> None:
        rule = DEFAULT_POLICY.rule("callback.agreed")

        instants = warning_instants(rule, moscow(2026, 2, 20, 10), CALENDAR,
                                    agreed_at=moscow(2026, 2, 20, 12))  # fmt: skip

        assert instants == [moscow(2026, 2, 20, 11, 24), moscow(2026, 2, 20, 11, 48)]

    def test_thresholds_come_from_the_rule(self) -> None:
        rule = msgspec.structs.replace(DEFAULT_POLICY.rule("written.registration"), warn_at=(0.5,))

        instants = warning_instants(rule, moscow(2026, 2, 20, 15), CALENDAR)

        assert instants == [moscow(2026, 2, 24, 12)]


class TestDueProperties:
    @given(
        rule=st.sampled_from(DAY_RULES),
        started_at=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 10, 31),
                                timezones=st.just(UTC)),
    )  # fmt: skip
    def test_due_is_end_of_a_working_day_never_before_the_term(
        self, rule: TimerRule, started_at: datetime
    ) -> None:
        received = CALENDAR.local_date(started_at)

        last_day, due_at = due(rule, started_at, CALENDAR)
        warnings = warning_instants(rule, started_at, CALENDAR)

        assert CALENDAR.is_working_day(last_day)
        assert due_at == CALENDAR.end_of_day(last_day)
        assert last_day >= received + timedelta(days=rule.term)
        assert started_at < warnings[0] < warnings[1] <= due_at


class TestLoadPolicy:
    def test_a_file_overrides_a_term_without_code_changes(self, tmp_path: Path) -> None:
        data = msgspec.to_builtins(DEFAULT_POLICY)
        data["version"] = "operator-2026-2"
        data["rules"][1]["term"] = 15  # written.answer
        path = tmp_path / "sla.json"
        path.write_bytes(msgspec.json.encode(data))

        policy = load_policy(path)

        assert policy.version == "operator-2026-2"
        last_day, _ = due(policy.rule("written.answer"), moscow(2026, 2, 20, 15), CALENDAR)
        assert last_day == date(2026, 3, 10)  # Sat 7th, Sun 8th, Mon 9th observed holiday

    def test_the_default_policy_round_trips_through_json(self, tmp_path: Path) -> None:
        path = tmp_path / "sla.json"
        path.write_bytes(msgspec.json.encode(DEFAULT_POLICY))

        assert load_policy(path) == DEFAULT_POLICY

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("term", "thirty", r"Expected `int`, got `str` - at `\$\.rules\[1\]\.term`"),
            ("unit", "weeks", r"Invalid enum value 'weeks' - at `\$\.rules\[1\]\.unit`"),
            ("channels", ["fax"], r"Invalid enum value 'fax' - at `\$\.rules\[1\]\.channels\[0\]`"),
            ("warn_at", [0.7, 1.5], r"< 1\.0 - at `\$\.rules\[1\]\.warn_at\[1\]`"),
            ("trem", 3, r"unknown field `trem` - at `\$\.rules\[1\]`"),
            ("term", 0, r"at least 1 - at `\$\.rules\[1\]`"),
        ],
    )
    def test_a_bad_file_is_refused_naming_the_field(
        self, tmp_path: Path, field: str, value: object, message: str
    ) -> None:
        data = msgspec.to_builtins(DEFAULT_POLICY)
        data["rules"][1][field] = value
        path = tmp_path / "sla.json"
        path.write_bytes(msgspec.json.encode(data))

        with pytest.raises(msgspec.ValidationError, match=message) as error:
            load_policy(path)

        assert str(path) in str(error.value)

    def test_repeated_rule_ids_are_refused(self) -> None:
        rules = (*DEFAULT_POLICY.rules, DEFAULT_POLICY.rule("survey.send"))

        with pytest.raises(ValueError, match=r"repeated: survey\.send"):
            SlaPolicy(version="x", rules=rules)

    def test_a_file_that_is_not_json_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "sla.json"
        path.write_text("{not json")

        with pytest.raises(msgspec.DecodeError, match="SLA policy"):
            load_policy(path)
