"""`ledger projections rebuild NAME --check | --swap`: rebuild beside the live read model."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from contextlib import ExitStack

import msgspec
from tqdm import tqdm

from adapters.bootstrap import Services, open_services
from adapters.bulk_access import record_rebuild
from adapters.log_scan import events_table
from adapters.settings import Settings
from adapters.shadow import ShadowRebuild
from adapters.table_diff import TableDiff

Command = Callable[[argparse.Namespace, Settings], int]


def rebuild_beside(args: argparse.Namespace, settings: Settings) -> int:
    """Rebuild NAME in shadow_NAME; --check compares it table by table, --swap makes it live."""
    with ExitStack() as stack:
        services = open_services(settings, stack, pool_size=2)
        url = services.url
        shadow = ShadowRebuild(url, services.ledger, services.projections[args.name])
        stack.callback(shadow.close)
        _record(url, services, args.name)
        shadow.create()
        with tqdm(unit="event", desc=f"rebuild {args.name} in {shadow.schema}",
                  file=sys.stderr) as bar:
            shadow.build(bar.update)
        same = True
        if args.check:
            position, diffs = shadow.compare()
            print(render(args.name, position, diffs))
            same = all(d.same for d in diffs)
        if args.swap:  # e.g. after a projection fix: the differences are the point
            position = shadow.swap()
            print(f"{args.name}: rebuilt tables are live at position {position}; the old ones"
                  f" are in {shadow.retired}")
            return 0
        return 0 if same else 1


def audit_rebuild(name: str, settings: Settings) -> int:
    """Record the rebuild's accesses before the read model is emptied (in-place rebuild)."""
    with ExitStack() as stack:
        services = open_services(settings, stack, pool_size=2)
        return _record(services.url, services, name)


def _record(url: str, services: Services, name: str) -> int:
    """A rebuild decodes every account's personal data: one access per account, recorded
    (batched) before anything is rebuilt; if they cannot be stored, nothing is."""
    return record_rebuild(url, events_table(services.ledger), services.ledger.mapper,
                          services.audit, name)


def render(name: str, position: int, diffs: list[TableDiff]) -> str:
    """The comparison for a person: one line a table, and samples of differing rows."""
    lines = [f"{name} at position {position}:"]
    for diff in diffs:
        if diff.same:
            lines.append(f"  {diff.table}: same")
            continue
        lines.append(f"  {diff.table}: {diff.only_live} rows only live, {diff.only_rebuilt} "
                     f"rows only rebuilt" + (f"; columns differ: {', '.join(diff.columns)}"
                                             if diff.columns else ""))
        lines += [f"    live:    {_row(r)}" for r in diff.samples_live]
        lines += [f"    rebuilt: {_row(r)}" for r in diff.samples_rebuilt]
    return "\n".join(lines)


def _row(row: dict[str, object]) -> str:
    return msgspec.json.encode(row).decode()


def add_rebuild_options(rebuild: argparse.ArgumentParser) -> None:
    """Add --check and --swap; without them `rebuild` keeps its drop-and-rebuild meaning."""
    rebuild.add_argument("--check", action="store_true",
                         help="rebuild in shadow_NAME and compare with the live tables")
    rebuild.add_argument("--swap", action="store_true",
                         help="rebuild in shadow_NAME and make it live (blue/green)")
    in_place: Command = rebuild.get_default("run")

    def run(args: argparse.Namespace, settings: Settings) -> int:
        if args.check or args.swap:
            return rebuild_beside(args, settings)
        audit_rebuild(args.name, settings)
        return in_place(args, settings)

    rebuild.set_defaults(run=run)
