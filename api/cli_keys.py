"""`ledger keys rewrap`: move every personal-data key under the current master key;
`ledger keys public`: the key auditors check exports with."""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack

from tqdm import tqdm

from adapters.bootstrap import database_url, prepare_database
from adapters.export_signing import export_signer, key_id, public_text
from adapters.master_key import MasterKeyError, master_keys
from adapters.pd_key_rotation import rewrap, stale_keys
from adapters.settings import Settings


def rewrap_keys(args: argparse.Namespace, settings: Settings) -> int:
    """Rewrap the keys of previous master keys (and unwrapped ones); 1 if any is left."""
    try:
        masters = master_keys(settings)
        with ExitStack() as stack:
            url = database_url(settings, stack)
            prepare_database(url, settings.db_schema)
            with tqdm(total=stale_keys(url, masters), unit="key", desc="rewrap",
                      file=sys.stderr) as bar:
                moved = rewrap(url, masters, bar.update)
            left = stale_keys(url, masters)
    except MasterKeyError as error:
        print(f"ledger keys rewrap: {error}", file=sys.stderr)
        return 2
    print(f"rewrapped {moved} key(s) under master key {masters.current.id}", file=sys.stderr)
    if left:
        print(f"{left} key(s) were wrapped meanwhile by a process without the new master key: "
              "restart it with LEDGER_MASTER_KEY set to the new key, then run this again",
              file=sys.stderr)
        return 1
    return 0


def print_public_key(args: argparse.Namespace, settings: Settings) -> int:
    """The public key exports are signed with, for auditors (`verify --file --public-key`)."""
    signer = export_signer(settings)
    print(public_text(signer.public))
    print(f"export signing key {key_id(signer.public)}: give auditors the line above",
          file=sys.stderr)
    return 0


def add_keys_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`ledger keys rewrap|public`."""
    p = sub.add_parser("keys", help="personal-data keys and their master key")
    actions = p.add_subparsers(dest="action", required=True)
    actions.add_parser("rewrap", help="wrap every data key with the current master key "
                       "(after LEDGER_MASTER_KEY changed)").set_defaults(run=rewrap_keys)
    actions.add_parser("public", help="print the public key `ledger export` signs with, for "
                       "auditors").set_defaults(run=print_public_key)
