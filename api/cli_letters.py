"""`ledger notify letters`: the print shop's run of post letters, a recorded access.

Letters hold a postal address and a text to the client (personal data, sealed with the
account's key: adapters/notify/letters.py). They are read only through `letters_to_print`,
which stores one access record per account before any letter is written out; a letter of an
erased account reads `[erased]` and is left out (it can never be printed).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import IO

import msgspec

from adapters.bootstrap import open_services
from adapters.notify.letters import Letter, letters_to_print, mark_printed
from adapters.personal_data import check_covers, cli_reader
from adapters.settings import Settings
from api.cli_audit import purpose_argument
from api.cli_types import positive_number
from domain.errors import ForbiddenError

_line = msgspec.json.Encoder()


def letters(args: argparse.Namespace, settings: Settings) -> int:
    """Write the oldest unprinted letters (JSON lines or a document to read) to stdout or
    --out; with --mark-printed, take them (and erased ones) off the queue afterwards."""
    with ExitStack() as stack:
        services = open_services(settings, stack, pool_size=2, prepare_configured=False)
        try:
            check_covers(services.ledger, args.purpose, None)
        except ForbiddenError as error:
            print(f"ledger notify letters: {error.message}", file=sys.stderr)
            return 2
        found = letters_to_print(services.pool, services.keys, services.audit,
                                 cli_reader(args.purpose), args.limit)  # recorded first
        printable = [x for x in found if not x.erased]
        with _output(args.out) as out:
            write(printable, out, args.format)
        if args.mark_printed:
            mark_printed(services.pool, [x.letter_id for x in found])
    accounts = len({x.account_number for x in printable})
    print(f"{len(printable)} letters of {accounts} accounts (access recorded); "
          f"{len(found) - len(printable)} erased letters left out", file=sys.stderr)
    return 0


def write(found: list[Letter], out: IO[str], form: str) -> None:
    """One JSON object a line, or a document: a letter a page (pages split by form feeds)."""
    for letter in found:
        if form == "jsonl":
            out.write(_line.encode(_camel(letter)).decode() + "\n")
        else:
            out.write(f"Письмо {letter.letter_id} · лицевой счёт {letter.account_number}\n\n"
                      f"{letter.address}\n\n{letter.subject}\n\n{letter.body}\n\f\n")


def _camel(letter: Letter) -> dict[str, str]:
    return {"letterId": str(letter.letter_id), "accountNumber": letter.account_number,
            "address": letter.address, "subject": letter.subject, "body": letter.body}


@contextmanager
def _output(path: str | None) -> Iterator[IO[str]]:
    """stdout, or a file only its owner may read (it holds personal data)."""
    if path is None:
        yield sys.stdout
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "w", encoding="utf-8") as out:
        yield out


def add_letters_command(notify: argparse.ArgumentParser) -> None:
    """`ledger notify letters [--purpose P] [--out FILE] [--format F] [--limit N]
    [--mark-printed]`."""
    p = notify.add_subparsers(dest="notify_action").add_parser(
        "letters", help="print the post letters waiting for the print shop (a recorded access)")
    p.add_argument("--purpose", default="audit:post-print", type=purpose_argument,
                   help="why the letters are read (docs/personal-data.md); recorded with the "
                   "access to each account (default audit:post-print)")
    p.add_argument("--out", help="write to this file (mode 0600) instead of stdout")
    p.add_argument("--format", choices=("jsonl", "text"), default="jsonl",
                   help="jsonl: one letter a line (default); text: a page a letter")
    p.add_argument("--limit", type=positive_number, default=1000,
                   help="at most this many (default 1000)")
    p.add_argument("--mark-printed", action="store_true",
                   help="afterwards, take the letters written (and erased ones) off the queue")
    p.set_defaults(run=letters)
