"""LEDGER_* variables are validated when read: a bad one stops the command with a message
naming the variable and what is wrong with it, before anything starts."""

from __future__ import annotations

import pytest

from adapters.settings import SettingsError, get_settings, load_settings
from api.cli import main


@pytest.mark.parametrize(("variable", "value", "said"), [
    ("PORT", "eighty", "LEDGER_PORT='eighty': Expected `int`, got `str`"),
    ("SMTP_PORT", "70000", "LEDGER_SMTP_PORT='70000': Expected `int` <= 65535"),
    ("CLOCK_INTERVAL_SECONDS", "0", "LEDGER_CLOCK_INTERVAL_SECONDS='0': Expected `float` > 0.0"),
    ("NOTIFY_BATCH", "-3", "LEDGER_NOTIFY_BATCH='-3': Expected `int` >= 1"),
    ("READ_WAIT_SECONDS", "-1", "LEDGER_READ_WAIT_SECONDS='-1': Expected `float` >= 0.0"),
    ("DATABASE_URL", "ledger-db", 'LEDGER_DATABASE_URL: missing "=" after "ledger-db"'),
    ("NATS_URL", "localhost:4222", "LEDGER_NATS_URL: 'localhost:4222' is no nats://host:port"),
    ("NATS_STREAM", "BAD.NAME", "LEDGER_NATS_STREAM='BAD.NAME': must be letters, digits"),
    ("NATS_STREAM", "BAD*", "LEDGER_NATS_STREAM='BAD*': must be letters, digits"),
    ("NATS_SUBJECT_PREFIX", "a b", "LEDGER_NATS_SUBJECT_PREFIX='a b': must be dot-separated"),
    ("NATS_SUBJECT_PREFIX", "acme.", "LEDGER_NATS_SUBJECT_PREFIX='acme.': must be dot-separated"),
])
def test_a_bad_variable_is_named(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, said: str
) -> None:
    monkeypatch.setenv(f"LEDGER_{variable}", value)

    with pytest.raises(SettingsError) as refused:
        load_settings()

    assert said in str(refused.value)


def test_a_dotted_prefix_and_a_dashed_stream_are_names_nats_takes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LEDGER_NATS_STREAM", "ACME-LEDGER_2")
    monkeypatch.setenv("LEDGER_NATS_SUBJECT_PREFIX", "acme.ledger")

    settings = load_settings()

    assert (settings.nats_stream, settings.nats_subject_prefix) == ("ACME-LEDGER_2", "acme.ledger")


def test_numbers_are_read_as_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGER_PORT", "8080")
    monkeypatch.setenv("LEDGER_RATE_LIMIT_PER_SECOND", "0")  # zero: the limit is off
    monkeypatch.setenv("LEDGER_NATS_URL", "nats://10.0.0.1:4222, tls://10.0.0.2:4222")

    settings = load_settings()

    assert (settings.port, settings.rate_limit_per_second) == (8080, 0.0)


def test_the_command_stops_with_the_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEDGER_PORT", "eighty")
    get_settings.cache_clear()
    try:
        assert main(["token", "--role", "operator", "--subject", "ivanova"]) == 2
    finally:
        get_settings.cache_clear()
    assert "ledger token: LEDGER_PORT='eighty'" in capsys.readouterr().err
