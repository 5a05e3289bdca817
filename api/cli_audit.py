"""The auditor's part of the `ledger` command: replay, export, verify, and the chain follower."""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from tqdm import tqdm

from adapters.bootstrap import (
    Services,
    nats_url,
    open_services,
    sla_policy,
)
from adapters.checkpoint_check import Anchor
from adapters.export_audit import AccessNotRecordedError, AuditedExport
from adapters.export_format import Trailer
from adapters.export_signing import SigningKeyError, export_signer, key_id, public_key
from adapters.export_verify import ExportFileError, verify_file
from adapters.log_scan import events_table
from adapters.nats.checkpoints import NatsUnreachableError, published_anchor
from adapters.nats.streams import Subjects
from adapters.personal_data import check_covers, cli_reader, fields_shown
from adapters.settings import Settings
from adapters.verify import Verdict, verify_database
from api.cli_rebuild import add_rebuild_options
from api.cli_types import positive_number
from api.signals import run_until_signalled
from domain.errors import ForbiddenError, ValidationError
from domain.identity import account_stream_id, check_account_number
from domain.purpose import parse_purpose, purpose_text
from domain.replay import replay_until
from projections.base import camelized, event_type, payload

SHOWN_BREAKS = 20


@contextmanager
def _services(settings: Settings) -> Iterator[Services]:
    with ExitStack() as stack:
        services = open_services(settings, stack, pool_size=4)
        yield services


def instant(text: str) -> datetime:
    """An ISO 8601 instant with its offset (a time without one is ambiguous for an audit)."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs an offset, e.g. +03:00")
    return value


def account_argument(text: str) -> str:
    """An account number or unidentified contact's reference, as the ledger stores them."""
    try:
        return check_account_number(text)
    except ValidationError as error:
        raise argparse.ArgumentTypeError(error.message) from None


def purpose_argument(text: str) -> str:
    """A well-formed purpose (domain/purpose.py), as recorded."""
    try:
        return purpose_text(parse_purpose(text, "--purpose"))
    except ValidationError as error:
        raise argparse.ArgumentTypeError(error.message) from None


def root_argument(text: str) -> str:
    """A checkpoint root as checkpoints print it: 64 hex digits."""
    if re.fullmatch(r"[0-9a-f]{64}", text.strip().lower()) is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a checkpoint root (64 hex digits)")
    return text.strip().lower()


def public_key_argument(text: str) -> Ed25519PublicKey:
    """An export signing key's public half, in base64."""
    try:
        return public_key(text, "the key")
    except SigningKeyError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def replay(args: argparse.Namespace, settings: Settings) -> int:
    """Print the account's state as of a store time or version (appeals, SLA timers, contacts
    and consents, notifications), and the events behind it."""
    with _services(settings) as services:
        try:
            check_covers(services.ledger, args.purpose, args.account)
        except ForbiddenError as error:
            print(f"ledger replay: {error.message}", file=sys.stderr)
            return 2
        stream = services.ledger.repository.event_store.get(account_stream_id(args.account))
        events = list(stream)
        state = replay_until(events, at=args.as_of, version=args.version,
                             policy=sla_policy(settings), calendar=services.calendar)
        if state is not None:  # personal data is printed: its access is recorded first
            services.audit.record(cli_reader(args.purpose),
                                  {args.account: fields_shown(events[: state.version])})
    if state is None:
        print(f"account {args.account} was not in the ledger then", file=sys.stderr)
        return 1
    shown = [{"version": e.originator_version, "type": event_type(e),
              "recordedAt": getattr(e, "timestamp", None), "payload": camelized(payload(e))}
             for e in events[: state.version]]
    body = {"state": msgspec.to_builtins(state), "events": shown}
    print(msgspec.json.format(msgspec.json.encode(camelized(body)), indent=2).decode())
    return 0


def export_events(args: argparse.Namespace, settings: Settings) -> int:
    """NDJSON to stdout: one event a line with its hashes, then the checkpoint proof."""
    if args.start is not None and args.end is not None and args.end < args.start:
        print(f"ledger export: --to {args.end.isoformat()} is before --from"
              f" {args.start.isoformat()}: nothing would be exported", file=sys.stderr)
        return 2
    stream_id = None if args.all else account_stream_id(args.account)
    with _services(settings) as services, tqdm(unit="event", desc="export",
                                               file=sys.stderr) as bar:
        try:
            check_covers(services.ledger, args.purpose, None if args.all else args.account)
        except ForbiddenError as error:
            print(f"ledger export: {error.message}", file=sys.stderr)
            return 2
        ledger, audited = services.ledger, AuditedExport(services.audit, cli_reader(args.purpose))
        signer = export_signer(settings)
        try:  # the accounts are recorded before anything is written
            trailer = audited.run(services.url, events_table(ledger), ledger.mapper,
                                  sys.stdout.buffer, stream_id, args.start, args.end, bar.update,
                                  signer)
        except AccessNotRecordedError as error:
            print(f"ledger export: the access could not be recorded, nothing exported: {error}",
                  file=sys.stderr)
            return 1
    print(f"exported {trailer.events} events of {audited.recorded} accounts (access recorded); "
          f"{_covered(trailer)}; signed with key {key_id(signer.public)}", file=sys.stderr)
    return 0


def _covered(trailer: Trailer) -> str:
    """What the file's checkpoint vouches for: a proof, or nothing yet (events after it)."""
    anchor = trailer.checkpoint
    if anchor is None:
        return trailer.note or "no checkpoint"
    if trailer.proof is None:
        return (f"no proof: the events came after the last checkpoint (position"
                f" {anchor.position}); export again after the next one")
    return f"proof against the checkpoint of position {anchor.position}, root {anchor.root}"


def verify(args: argparse.Namespace, settings: Settings) -> int:
    """Check chains and checkpoints in the database or in an export; exit 0 when intact."""
    unused = _unused_options(args)
    if unused:
        print(f"ledger verify: {unused}", file=sys.stderr)
        return 2
    with tqdm(unit="event", desc="verify", file=sys.stderr) as bar:
        if args.file is not None:
            try:
                verdict = verify_file(args.file, args.root, bar.update, args.public_keys)
            except (OSError, ExportFileError) as error:
                reason = error.strerror if isinstance(error, OSError) else error
                print(f"ledger verify: {args.file}: {reason}", file=sys.stderr)
                return 2
        else:
            try:
                verdict = _verify_database(args, settings, bar.update)
            except NatsUnreachableError as error:
                print(f"ledger verify --nats: {error}", file=sys.stderr)
                return 2
    print(verdict.describe(SHOWN_BREAKS))
    return 0 if verdict.intact else 1


def _unused_options(args: argparse.Namespace) -> str | None:
    """Options the chosen check would ignore (an auditor reading "intact" would believe they
    had been checked)."""
    if args.file is None and (args.root or args.public_keys):
        return "--root and --public-key check an export: give it with --file"
    if args.file is not None and (args.account or args.nats):
        return "--file checks the export alone: no account or --nats with it"
    return None


def _verify_database(
    args: argparse.Namespace, settings: Settings, progress: Callable[[int], object]
) -> Verdict:
    with ExitStack() as stack, _services(settings) as services:
        anchors: list[Anchor] = []
        if args.nats:
            found = asyncio.run(published_anchor(nats_url(settings, stack),
                                                 Subjects.of(settings)))
            anchors = [found] if found is not None else []
        stream_id = None if args.account is None else account_stream_id(args.account)
        ledger = services.ledger
        return verify_database(services.url, events_table(ledger), ledger.mapper, stream_id,
                               anchors, progress)


def chain(args: argparse.Namespace, settings: Settings) -> int:
    """Run the chain follower (hashes and checkpoints); --once: catch up, checkpoint, exit."""
    with _services(settings) as services:
        follower = services.chain_follower(settings)
        if args.once:
            with tqdm(unit="event", desc="chain", file=sys.stderr) as bar:
                follower.catch_up(bar.update)
            position = follower.checkpoint()
            print(f"checkpoint stored at position {position}" if position else
                  "nothing new to checkpoint", file=sys.stderr)
            return 0
        run_until_signalled(services, "chain", follower.run)
    return 0


def add_audit_commands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    rebuild: argparse.ArgumentParser,
) -> None:
    """`ledger replay|export|verify|chain`, and --check/--swap on `projections rebuild`."""
    p = sub.add_parser("replay", help="an account's state as of a moment, and its events")
    p.add_argument("account", type=account_argument)
    p.add_argument("--as-of", type=instant, help="store time, ISO 8601 with offset")
    p.add_argument("--version", type=positive_number, help="stream version to stop at")
    p.add_argument("--purpose", default="audit:replay", type=purpose_argument,
                   help="why personal data is read, e.g. appeal:2026-000123 (docs/"
                   "personal-data.md); recorded with the access")
    p.set_defaults(run=replay)
    p = sub.add_parser("export", help="NDJSON of events with hashes and checkpoint proof")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("account", nargs="?", type=account_argument)
    which.add_argument("--all", action="store_true")
    p.add_argument("--from", dest="start", type=instant, help="store time, with offset")
    p.add_argument("--to", dest="end", type=instant, help="store time, with offset")
    p.add_argument("--purpose", default="audit:export", type=purpose_argument,
                   help="why the accounts' events are taken; recorded with each access")
    p.set_defaults(run=export_events)
    p = sub.add_parser("verify", help="check hash chains and checkpoints")
    p.add_argument("account", nargs="?", type=account_argument)
    p.add_argument("--file", type=Path, help="an export to check without a database")
    p.add_argument("--root", type=root_argument,
                   help="with --file: a checkpoint root (hex) held from elsewhere")
    p.add_argument("--public-key", dest="public_keys", action="append", default=[],
                   type=public_key_argument, metavar="KEY",
                   help="with --file: the ledger's export signing key (base64, as `ledger keys"
                   " public` prints it); the file must be signed with it (repeatable)")
    p.add_argument("--nats", action="store_true", help="also hold the log against the last "
                   "checkpoint published on NATS")
    p.set_defaults(run=verify)
    p = sub.add_parser("chain", help="run the chain follower only")
    p.add_argument("--once", action="store_true", help="catch up, checkpoint, and exit")
    p.set_defaults(run=chain)
    add_rebuild_options(rebuild)
