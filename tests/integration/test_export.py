"""Exports checked on their own: the database is dropped before the file is verified, and every
tampering with the file is found at its stream and version."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from adapters.export import export
from adapters.export_signing import ExportSigner, key_id, public_text
from adapters.export_verify import ExportFileError, verify_file
from adapters.log_scan import events_table
from domain.identity import account_stream_id
from tests.integration.audit_support import (
    built,
    chain_level,
    drop_database,
    fresh_account,
    history,
    private_database,
)

pytestmark = pytest.mark.integration

SIGNING_KEY = bytes(range(32))
SIGNER = ExportSigner(Ed25519PrivateKey.from_private_bytes(SIGNING_KEY))
PUBLIC_KEY = public_text(SIGNER.public)


class Exports:
    """Files exported from a database that no longer exists."""

    def __init__(self, folder: Path, accounts: list[str], moments: list[datetime]) -> None:
        self.folder, self.accounts, self.moments = folder, accounts, moments
        self.all = folder / "all.ndjson"
        self.one = folder / "one.ndjson"
        self.since = folder / "since.ndjson"
        self.by_cli = folder / "cli.ndjson"
        self.signed = folder / "signed.ndjson"
        self.after = folder / "after.ndjson"
        """An account whose events all came after the last checkpoint: no proof."""
        self.after_summary = b""
        """What `ledger export` said of that account's file."""


@pytest.fixture(scope="module")
def exports(pg_server_url: str, run_id: str,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Exports]:
    folder, name = tmp_path_factory.mktemp("exports"), f"ledger_export_{run_id}"
    accounts = [fresh_account() for _ in range(2)]
    with private_database(pg_server_url, name) as url, built(url) as services:
        moments = [history(services, a) for a in accounts][1]
        chain_level(services)
        made = Exports(folder, accounts, moments)
        table, mapper = events_table(services.ledger), services.ledger.mapper
        stream = account_stream_id(accounts[1])
        for path, cut in ((made.all, {}), (made.one, {"stream_id": stream}),
                          (made.since, {"stream_id": stream, "start": moments[2]})):
            with path.open("wb") as out:
                export(url, table, mapper, out, **cut)
        with made.signed.open("wb") as out:
            export(url, table, mapper, out, stream_id=stream, signer=SIGNER)
        made.by_cli.write_bytes(_cli(["export", accounts[0]], url).stdout)
        later = fresh_account()
        history(services, later)
        with made.after.open("wb") as out:
            export(url, table, mapper, out, stream_id=account_stream_id(later))
        made.after_summary = _cli(["export", later], url).stderr
    drop_database(pg_server_url, name)
    yield made


def _cli(args: list[str], url: str | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items()  # the master key the services here use, too
           if not k.startswith("LEDGER_") or k == "LEDGER_MASTER_KEY"}
    env["LEDGER_DATABASE_URL"] = url or "postgresql://nobody@127.0.0.1:1/gone"
    env["LEDGER_EXPORT_SIGNING_KEY"] = base64.b64encode(SIGNING_KEY).decode()
    return subprocess.run([sys.executable, "-m", "api.cli", *args], env=env,
                          capture_output=True, check=False)


def rewrite(source: Path, target: Path, change: Any) -> Path:
    """A copy of an export with its lines changed by `change(lines) -> lines`."""
    target.write_bytes(b"\n".join(change(source.read_bytes().splitlines())) + b"\n")
    return target


def with_byte_changed(line: bytes) -> bytes:
    event = msgspec.json.decode(line)
    state = bytearray(base64.b64decode(event["state"]))
    state[10] ^= 0x01
    event["state"] = base64.b64encode(bytes(state)).decode()
    return msgspec.json.encode(event)


def at(line: bytes) -> tuple[str, int, int]:
    event = msgspec.json.decode(line)
    return event["streamId"], event["version"], event["position"]


class TestExportVerifiedAlone:
    def test_every_export_is_intact_without_the_database(self, exports: Exports) -> None:
        verdicts = [verify_file(p) for p in (exports.all, exports.one, exports.since)]

        assert [v.intact for v in verdicts] == [True, True, True], [v.breaks for v in verdicts]
        assert [v.events for v in verdicts] == [7 * 2 + 2, 7, 3]  # since: versions 5 to 7
        assert all(v.anchors for v in verdicts)

    def test_the_command_line_answers_with_its_exit_code(
        self, exports: Exports, tmp_path: Path
    ) -> None:
        broken = rewrite(exports.by_cli, tmp_path / "b.ndjson",
                         lambda ls: [*ls[:2], with_byte_changed(ls[2]), *ls[3:]])

        good = _cli(["verify", "--file", str(exports.by_cli), "--public-key", PUBLIC_KEY])
        bad = _cli(["verify", "--file", str(broken)])

        assert good.returncode == 0 and good.stdout.startswith(b"intact"), good.stderr
        assert f"signed with key {key_id(SIGNER.public)} (a key you hold)".encode() in good.stdout
        assert bad.returncode == 1 and b"first broken link" in bad.stdout

    def test_a_changed_byte_is_found_at_its_line(self, exports: Exports, tmp_path: Path) -> None:
        lines = exports.all.read_bytes().splitlines()
        changed = rewrite(exports.all, tmp_path / "c.ndjson",
                          lambda ls: [*ls[:5], with_byte_changed(ls[5]), *ls[6:]])

        first = verify_file(changed).breaks[0]

        assert (str(first.stream_id), first.version, first.position) == at(lines[5])
        assert first.problem == "event changed"

    def test_a_deleted_line_is_a_gap_at_the_next_version(
        self, exports: Exports, tmp_path: Path
    ) -> None:
        lines = exports.one.read_bytes().splitlines()
        deleted = rewrite(exports.one, tmp_path / "d.ndjson", lambda ls: [*ls[:3], *ls[4:]])

        first = verify_file(deleted).breaks[0]

        assert (str(first.stream_id), first.version) == at(lines[4])[:2]
        assert first.problem.startswith("version gap: version 4 expected here")

    def test_swapped_lines_are_found(self, exports: Exports, tmp_path: Path) -> None:
        lines = exports.one.read_bytes().splitlines()
        swapped = rewrite(exports.one, tmp_path / "s.ndjson",
                          lambda ls: [*ls[:2], ls[3], ls[2], *ls[4:]])

        first = verify_file(swapped).breaks[0]

        assert (str(first.stream_id), first.version) == at(lines[3])[:2]

    def test_a_truncated_tail_is_found_by_the_checkpoint_proof(
        self, exports: Exports, tmp_path: Path
    ) -> None:
        lines = exports.one.read_bytes().splitlines()
        cut = rewrite(exports.one, tmp_path / "t.ndjson", lambda ls: [*ls[:-3], ls[-1]])

        breaks = verify_file(cut).breaks

        assert [(str(b.stream_id), b.version) for b in breaks] == [at(lines[-2])[:2]]
        assert "checkpoint" in breaks[0].problem and "lack" in breaks[0].problem

    def test_a_file_cut_short_has_no_checkpoint_line(
        self, exports: Exports, tmp_path: Path
    ) -> None:
        cut = rewrite(exports.all, tmp_path / "n.ndjson", lambda ls: ls[:-4])

        breaks = verify_file(cut).breaks

        assert breaks[-1].problem.endswith("it was cut short")

    def test_a_checkpoint_other_than_the_one_held_is_refused(self, exports: Exports) -> None:
        verdict = verify_file(exports.one, root="00" * 32)

        assert verdict.breaks[0].problem == "the file's checkpoint is not the one you hold"

    def test_the_checkpoint_held_holds_a_file_it_covers(self, exports: Exports) -> None:
        held = verify_file(exports.one).anchors[0].root

        assert verify_file(exports.one, root=held).intact

    def test_a_root_held_checks_nothing_in_a_file_without_proof(self, exports: Exports) -> None:
        held = verify_file(exports.one).anchors[0].root
        alone = verify_file(exports.after)

        assert alone.intact and alone.anchors  # its checkpoint, which does not cover it
        problems = [b.problem for b in verify_file(exports.after, root=held).breaks]
        wrong = [b.problem for b in verify_file(exports.after, root="ab" * 32).breaks]
        assert [p.split(" (")[0] for p in problems] == [
            "the file holds no proof that its events are under the checkpoint you hold"]
        assert wrong == ["the file's checkpoint is not the one you hold"]

    def test_the_export_says_when_its_file_holds_no_proof(self, exports: Exports) -> None:
        assert b"no proof: the events came after the last checkpoint" in exports.after_summary
        assert b"proof against" not in exports.after_summary

    @pytest.mark.parametrize("field", ["prevHash", "hash"])
    def test_a_hash_that_is_no_hex_is_refused_by_line_and_field(
        self, exports: Exports, tmp_path: Path, field: str
    ) -> None:
        def spoiled(lines: list[bytes]) -> list[bytes]:
            event = msgspec.json.decode(lines[1])
            event[field] = "zz" + event[field][2:]
            return [lines[0], msgspec.json.encode(event), *lines[2:]]

        bad = rewrite(exports.one, tmp_path / "x.ndjson", spoiled)
        answer = _cli(["verify", "--file", str(bad)])

        with pytest.raises(ExportFileError, match=f"line 2 .*{field}"):
            verify_file(bad)
        assert answer.returncode == 2 and b"Traceback" not in answer.stderr
        assert b"line 2" in answer.stderr and field.encode() in answer.stderr



def signature_breaks(path: Path, *held: Ed25519PublicKey) -> list[str]:
    return [f"{b.line}: {b.problem}" for b in verify_file(path, public_keys=held).breaks
            if b.line is not None]


class TestSignedExport:
    def test_a_signed_export_holds_for_the_key_that_signed_it(self, exports: Exports) -> None:
        verdict = verify_file(exports.signed, public_keys=[SIGNER.public])

        assert verdict.intact, verdict.breaks
        assert verdict.events == 7
        assert verdict.signature == f"signed with key {key_id(SIGNER.public)} (a key you hold)"

    def test_a_change_after_signing_breaks_the_signature_too(
        self, exports: Exports, tmp_path: Path
    ) -> None:
        changed = rewrite(exports.signed, tmp_path / "c.ndjson",
                          lambda ls: [*ls[:2], with_byte_changed(ls[2]), *ls[3:]])

        breaks = verify_file(changed, public_keys=[SIGNER.public]).breaks

        assert breaks[0].problem == "event changed"  # located by the chain first
        assert breaks[-1].describe().startswith(
            "the last line (the signature): the file was changed after it was signed;")

    def test_a_consistent_file_signed_by_another_key_is_refused(
        self, exports: Exports, tmp_path: Path
    ) -> None:
        forger = ExportSigner(Ed25519PrivateKey.generate())
        unsigned = exports.one.read_bytes()
        forged = tmp_path / "forged.ndjson"
        forged.write_bytes(unsigned + msgspec.json.encode(
            forger.sign(hashlib.sha256(unsigned).digest())) + b"\n")

        assert verify_file(forged).intact  # consistent, and signed by the key it names...
        assert signature_breaks(forged, SIGNER.public) == [  # ...which is not the ledger's
            "the last line (the signature): signed with a key other than the ones you hold"]
        assert verify_file(forged, public_keys=[SIGNER.public]).signature == (
            f"signed with key {key_id(forger.public)} (not a key you hold)")

    def test_the_key_named_is_the_one_that_signed_not_the_id_the_line_claims(
        self, exports: Exports, tmp_path: Path
    ) -> None:
        forger = ExportSigner(Ed25519PrivateKey.generate())
        unsigned = exports.one.read_bytes()
        line = msgspec.structs.replace(forger.sign(hashlib.sha256(unsigned).digest()),
                                       key_id=key_id(SIGNER.public))  # claims the ledger's
        forged = tmp_path / "claims.ndjson"
        forged.write_bytes(unsigned + msgspec.json.encode(line) + b"\n")

        assert verify_file(forged).signature == (
            f"signed with key {key_id(forger.public)} (give --public-key to check it is the"
            " ledger's)")
        assert verify_file(forged, public_keys=[SIGNER.public]).signature == (
            f"signed with key {key_id(forger.public)} (not a key you hold)")

    def test_a_signature_removed_is_refused_when_a_key_is_held(
        self, exports: Exports, tmp_path: Path
    ) -> None:
        stripped = rewrite(exports.signed, tmp_path / "u.ndjson", lambda ls: ls[:-1])

        assert verify_file(stripped).signature == "not signed"
        assert signature_breaks(stripped, SIGNER.public) == [
            "the last line (the signature): the file is not signed"]

    def test_a_signature_made_over_other_bytes_is_refused(
        self, exports: Exports, tmp_path: Path
    ) -> None:
        def resigned(lines: list[bytes]) -> list[bytes]:
            line = msgspec.json.decode(lines[-1])
            line["signature"] = SIGNER.sign(hashlib.sha256(b"other").digest()).signature
            return [*lines[:-1], msgspec.json.encode(line)]

        bad = rewrite(exports.signed, tmp_path / "r.ndjson", resigned)

        assert signature_breaks(bad) == [
            "the last line (the signature): the signature does not match the key it names"]
