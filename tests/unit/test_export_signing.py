"""Export signing keys: configured or made once in the data dir, refused by name when
malformed, and a signature that holds only for the bytes and key it was made for."""

from __future__ import annotations

import base64
import hashlib
import stat
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from adapters.export_signing import (
    ExportSigner,
    SigningKeyError,
    export_signer,
    key_id,
    public_key,
    public_text,
    signature_problem,
)
from adapters.settings import get_settings, load_settings
from api.cli import main

DIGEST = hashlib.sha256(b"every line before the signature\n").digest()


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    """`main` reads the settings once per process: each test sets its own."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_data_dir_key_is_made_once_and_kept_private(tmp_path: Path) -> None:
    settings = replace(load_settings(), data_dir=tmp_path, export_signing_key=None)

    first, second = export_signer(settings), export_signer(settings)

    assert public_text(first.public) == public_text(second.public)
    assert stat.S_IMODE((tmp_path / "export-signing.key").stat().st_mode) == 0o600


def test_a_configured_key_is_used(tmp_path: Path) -> None:
    raw = bytes(range(32))
    settings = replace(load_settings(), data_dir=tmp_path,
                       export_signing_key=base64.b64encode(raw).decode())

    signer = export_signer(settings)

    assert public_text(signer.public) == public_text(
        Ed25519PrivateKey.from_private_bytes(raw).public_key())
    assert not (tmp_path / "export-signing.key").exists()


@pytest.mark.parametrize(("text", "said"), [
    ("not base64!", "the key is not base64"),
    (base64.b64encode(b"short").decode(), "the key must be 32 bytes in base64, not 5 bytes"),
])
def test_a_malformed_key_is_refused_by_name(text: str, said: str) -> None:
    with pytest.raises(SigningKeyError) as refused:
        public_key(text, "the key")

    assert str(refused.value) == said


def test_a_signature_holds_for_its_bytes_and_key_only() -> None:
    signer, other = (ExportSigner(Ed25519PrivateKey.generate()) for _ in range(2))
    line = signer.sign(DIGEST)
    changed = hashlib.sha256(b"another file\n").digest()
    forged = msgspec.structs.replace(line, signature=other.sign(DIGEST).signature)

    assert signature_problem(line, DIGEST, []) is None
    assert signature_problem(line, DIGEST, [signer.public]) is None
    assert problem(signature_problem(line, changed, [])) == (
        "the file was changed after it was signed")
    assert problem(signature_problem(forged, DIGEST, [])) == (
        "the signature does not match the key it names")
    assert signature_problem(line, DIGEST, [other.public]) == (
        "signed with a key other than the ones you hold", key_id(other.public),
        key_id(signer.public))


def problem(found: tuple[str, str, str] | None) -> str | None:
    return None if found is None else found[0]


def test_a_malformed_configured_key_stops_the_command_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEDGER_EXPORT_SIGNING_KEY", "c2hvcnQ=")

    assert main(["keys", "public"]) == 2
    assert capsys.readouterr().err == (
        "ledger keys: LEDGER_EXPORT_SIGNING_KEY must be 32 bytes in base64, not 5 bytes\n")


def test_the_public_key_is_printed_for_auditors(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = bytes(range(1, 33))
    monkeypatch.setenv("LEDGER_EXPORT_SIGNING_KEY", base64.b64encode(raw).decode())
    public = Ed25519PrivateKey.from_private_bytes(raw).public_key()

    assert main(["keys", "public"]) == 0
    printed = capsys.readouterr()
    assert printed.out == public_text(public) + "\n"
    assert key_id(public) in printed.err


def test_verify_refuses_a_malformed_public_key(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["verify", "--file", "x.ndjson", "--public-key", "AAAA"])

    assert stopped.value.code == 2
    assert "argument --public-key: the key must be 32 bytes in base64, not 3 bytes" in (
        capsys.readouterr().err)
