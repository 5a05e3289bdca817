"""The command line refuses bad input with a message naming it, and no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.cli import main

BAD_ACCOUNT = "account number must be 6 to 20 digits"


@pytest.mark.parametrize("argv", [
    ["replay", "77"], ["export", "U-zz"], ["verify", "12"],
], ids=["replay", "export", "verify"])
def test_a_malformed_account_is_refused_by_name(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(argv)

    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert "argument account" in error and BAD_ACCOUNT in error and argv[1] in error


def test_a_file_that_is_no_export_is_named_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "export.ndjson"
    file.write_text('{"streamId": "not an export"}\n')

    assert main(["verify", "--file", str(file)]) == 2
    assert f"ledger verify: {file}: line 1 is not an exported event" in capsys.readouterr().err


def test_a_missing_export_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere.ndjson"

    assert main(["verify", "--file", str(missing)]) == 2
    assert f"ledger verify: {missing}: No such file or directory" in capsys.readouterr().err


def test_a_report_ending_before_it_starts_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sla", "report", "--from", "2026-01-01", "--to", "2025-12-31"]) == 2
    assert "--to 2025-12-31 is before --from 2026-01-01" in capsys.readouterr().err


def test_an_export_ending_before_it_starts_is_refused(
    capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["export", "123456", "--from", "2026-03-02T10:00:00+03:00",
            "--to", "2026-03-01T10:00:00+03:00"]

    assert main(argv) == 2
    assert ("--to 2026-03-01T10:00:00+03:00 is before --from 2026-03-02T10:00:00+03:00"
            in capsys.readouterr().err)


@pytest.mark.parametrize(("argv", "said"), [
    (["--ttl", "0"], "argument --ttl: must be a positive number of seconds, got 0"),
    (["--ttl", "-5"], "argument --ttl: must be a positive number of seconds, got -5"),
    (["--ttl", "soon"], "argument --ttl: must be a whole number of seconds, got 'soon'"),
    (["--subject", " "], "argument --subject: must name who the token is for"),
], ids=["zero", "negative", "text", "blank subject"])
def test_a_token_that_could_never_be_used_is_not_issued(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["token", "--role", "operator", "--subject", "ivanova", *argv])

    assert stopped.value.code == 2
    assert said in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "said"), [
    (["verify", "--root", "ab" * 32], "--root and --public-key check an export: give it with"
                                      " --file"),
    (["verify", "7701234567", "--file", "x.ndjson"], "--file checks the export alone"),
    (["verify", "--file", "x.ndjson", "--nats"], "--file checks the export alone"),
], ids=["root-without-file", "file-and-account", "file-and-nats"])
def test_verify_refuses_options_it_would_ignore(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert said in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "said"), [
    (["verify", "--file", "x.ndjson", "--root", "zz"], "'zz' is not a checkpoint root"),
    (["serve", "--port", "99999"], "99999 is not a port: 1 to 65535"),
    (["serve", "--port", "eighty"], "'eighty' is not a port number"),
    (["replay", "123456", "--version", "-1"], "'-1' is not a positive whole number"),
    (["replay", "123456", "--version", "0"], "'0' is not a positive whole number"),
], ids=["root", "port-range", "port-text", "version-negative", "version-zero"])
def test_a_malformed_option_is_refused_by_argparse(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(argv)

    assert stopped.value.code == 2
    assert said in capsys.readouterr().err
