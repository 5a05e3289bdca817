"""The SLA part of the `ledger` command: the clock alone, the timeliness report, the policy."""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from datetime import UTC, date, datetime

import msgspec
import psycopg

from adapters.bootstrap import database_url, open_services, prepare_database, sla_policy
from adapters.clock import SlaClock
from adapters.settings import Settings
from api.signals import run_until_signalled
from projections.sla_timeliness import Period, TimelinessRow, read_timeliness

_HEADER = ("period", "channel", "type", "met", "breached", "open", "cancelled", "share")


def clock(args: argparse.Namespace, settings: Settings) -> int:
    """Run the SLA clock only, until SIGINT or SIGTERM (the read models run elsewhere).

    On a configured database the schema is `ledger migrate`'s job: clocks started together
    must not create it concurrently (STACK-NOTES.md)."""
    with ExitStack() as stack:
        services = open_services(settings, stack, pool_size=2, prepare_configured=False)
        sla_clock = SlaClock(services, settings.clock_interval_seconds)
        run_until_signalled(services, "clock", sla_clock.run)
    return 0


def report(args: argparse.Namespace, settings: Settings) -> int:
    """Print the timeliness report (12.2.3): the same rows as the GraphQL `timeliness` query."""
    if args.end < args.start:  # as the query refuses it
        print(f"ledger sla report: --to {args.end} is before --from {args.start}",
              file=sys.stderr)
        return 2
    with ExitStack() as stack:
        url = database_url(settings, stack)
        if not settings.database_url:
            prepare_database(url, settings.db_schema)
        with psycopg.connect(url) as conn:
            rows = read_timeliness(conn, args.start, args.end, datetime.now(UTC), args.period)
    print(render(rows))
    return 0


def render(rows: list[TimelinessRow]) -> str:
    """The report as an aligned text table, with a total line."""
    lines = [_HEADER] + [_cells(r) for r in rows]
    met, decided = sum(r.met for r in rows), sum(r.decided for r in rows)
    lines.append(("total", "", "", str(met), str(decided - met),
                  str(sum(r.open for r in rows)), str(sum(r.cancelled for r in rows)),
                  _share(met, decided)))
    widths = [max(len(line[i]) for line in lines) for i in range(len(_HEADER))]
    return "\n".join(
        "  ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in
                  enumerate(zip(line, widths, strict=True))).rstrip()
        for line in lines
    )


def _cells(row: TimelinessRow) -> tuple[str, ...]:
    return (f"{row.period_start}..{row.period_end}", row.channel, row.appeal_type or "-",
            str(row.met), str(row.breached), str(row.open), str(row.cancelled),
            _share(row.met, row.decided))


def _share(met: int, decided: int) -> str:
    return f"{100 * met / decided:.1f}%" if decided else "-"


def policy(args: argparse.Namespace, settings: Settings) -> int:
    """Print the SLA policy in force as JSON: the shape a LEDGER_SLA_POLICY file takes."""
    print(msgspec.json.format(msgspec.json.encode(sla_policy(settings)), indent=2).decode())
    return 0


def add_sla_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`ledger clock` and `ledger sla report|policy`."""
    sub.add_parser("clock", help="run the SLA clock only").set_defaults(run=clock)
    actions = sub.add_parser("sla", help="SLA timers").add_subparsers(dest="action",
                                                                       required=True)
    p = actions.add_parser("report", help="timeliness (12.2.3) by channel and appeal type")
    p.add_argument("--from", dest="start", required=True, type=date.fromisoformat,
                   help="first due date, YYYY-MM-DD")
    p.add_argument("--to", dest="end", required=True, type=date.fromisoformat,
                   help="last due date, YYYY-MM-DD")
    p.add_argument("--period", type=Period, default=Period.WHOLE,
                   choices=list(Period), help="split by month, week or day")
    p.set_defaults(run=report)
    actions.add_parser("policy", help="print the SLA policy in force as JSON").set_defaults(
        run=policy)
