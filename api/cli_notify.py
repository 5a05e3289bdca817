"""The notification part of the `ledger` command: the notification side alone, its templates,
and campaigns too large for one GraphQL request."""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import msgspec

from adapters.bootstrap import nats_url, open_services
from adapters.notify.service import (
    campaign_desk,
    notify_workers,
    start_notify_threads,
    templates,
)
from adapters.settings import Settings
from api.cli_letters import add_letters_command
from api.signals import run_until_signalled
from domain.campaign_commands import CreateCampaign
from domain.errors import LedgerError


def notify(args: argparse.Namespace, settings: Settings) -> int:
    """Run the notifier, the dispatcher, the receipt consumer and the campaign runner, until
    SIGINT or SIGTERM. The `notifications` and `campaigns` read models run elsewhere
    (`ledger serve` or `ledger project notifications campaigns`)."""
    if args.templates:
        print(msgspec.json.format(msgspec.json.encode(templates(settings)).decode()))
        return 0
    with ExitStack() as stack:
        nats = nats_url(settings, stack)  # entered first, stopped last: workers drain first
        services = open_services(settings, stack, pool_size=8, prepare_configured=False)
        start_notify_threads(services, settings)
        services.start_nats(nats, settings, notify_workers(services, settings))
        run_until_signalled(services, "notify")
    return 0


def campaign(args: argparse.Namespace, settings: Settings) -> int:
    """Create a campaign from a JSON file shaped like GraphQL's CampaignInput (a list too big
    for one request body), and start it with --start; print its id."""
    try:
        command = msgspec.json.decode(Path(args.file).read_bytes(), type=CreateCampaign)
    except (OSError, msgspec.DecodeError) as error:
        print(f"ledger campaign create: {error}", file=sys.stderr)
        return 2
    with ExitStack() as stack:
        services = open_services(settings, stack, pool_size=2, prepare_configured=False)
        desk, campaign_id, now = campaign_desk(services, settings), uuid4(), datetime.now(UTC)
        try:
            desk.create(command, campaign_id, args.actor, now)
            if args.start:
                desk.start(campaign_id, args.actor, now)
        except LedgerError as error:
            print(f"ledger campaign create: {error.message}", file=sys.stderr)
            return 2
    print(campaign_id)
    return 0


def add_notify_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`ledger notify [--templates]`, `ledger notify letters`, `ledger campaign create FILE`."""
    p = sub.add_parser("notify", help="run the notification side only: notifier, dispatcher, "
                       "receipts, campaign runner")
    p.add_argument("--templates", action="store_true",
                   help="print the notification templates as JSON (the shape of "
                   "LEDGER_NOTIFICATION_TEMPLATES) and exit")
    p.set_defaults(run=notify)
    add_letters_command(p)
    create = sub.add_parser("campaign", help="campaigns").add_subparsers(
        dest="action", required=True).add_parser(
        "create", help="create a campaign from a JSON file shaped like CampaignInput")
    create.add_argument("file", help="JSON: name, template, channel, windowStart, windowEnd, "
                        "recipients [{accountNumber, values}]")
    create.add_argument("--start", action="store_true", help="start it at once")
    create.add_argument("--actor", default="cli", help="who creates it (default cli)")
    create.set_defaults(run=campaign)
