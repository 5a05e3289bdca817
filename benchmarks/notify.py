"""A 100,000-recipient campaign: notifications requested and sent per second through the
ledger, next to a raw loop of the same SMTP and HTTP sends in the same run.

    python -m benchmarks.notify [--database-url URL] [--recipients N] [--channels sms,email]

Without --database-url it creates a scratch database on the local server and drops it at the
end. The far ends are local, in a process of their own: an aiosmtpd server and an HTTP server
standing in for the SMS provider (benchmarks/notify_servers.py). Each recipient's account is
seeded with a mobile and an e-mail given by the client and consent to both channels.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import msgspec

from adapters.bootstrap import Services, build, prepare_database
from adapters.notify.campaign_runner import CampaignRunner
from adapters.notify.dispatcher import Dispatcher, Retry
from adapters.notify.gateways import Gateway, Outgoing
from adapters.notify.service import campaign_desk
from adapters.notify.sms_http import HttpSmsGateway
from adapters.notify.smtp import SmtpConfig, SmtpGateway
from adapters.settings import load_settings
from benchmarks.notify_servers import far_ends
from benchmarks.sla import scratch_database
from domain import notification_commands as n
from domain.campaign_commands import AllowedHours, CreateCampaign
from domain.commands import AccountCommand
from domain.ledger import Request
from domain.notification_values import ContactKind, ContactSource
from domain.notification_values import NotificationChannel as C

BATCH, SEND_BATCH = 1_000, 500
Row = tuple[str, int, float, str]


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def accounts(count: int) -> list[str]:
    return [f"{8_000_000_000 + i}" for i in range(count)]


def seed(services: Services, numbers: list[str]) -> Row:
    """A mobile and an e-mail given by the client, consent to SMS and e-mail: 4 per account."""
    commands: list[AccountCommand] = []
    for number in numbers:
        commands += [
            n.RecordContactPoint(account_number=number, kind=ContactKind.MOBILE,
                                 value=f"+7{number}", source=ContactSource.CLIENT),
            n.RecordContactPoint(account_number=number, kind=ContactKind.EMAIL,
                                 value=f"c{number}@example.ru", source=ContactSource.CLIENT),
            n.RecordConsent(account_number=number, channel=C.SMS, given=True),
            n.RecordConsent(account_number=number, channel=C.EMAIL, given=True)]
    now = datetime.now(UTC)

    def run() -> None:
        for start in range(0, len(commands), BATCH):
            services.ledger.execute_batch(
                [Request(cmd, "bench", now) for cmd in commands[start:start + BATCH]])

    return ("seed: contact points and consent (through the ledger)", len(commands), timed(run),
            "commands")


def project(services: Services) -> None:
    for name in ("notifications", "campaigns"):
        services.projector(name).catch_up()


def campaign(services: Services, numbers: list[str], channel: C) -> tuple[list[Row], object]:
    """Create and start the campaign, then let the runner request every notification."""
    project(services)  # what came before (seeding, the last campaign) is not this one's
    before, now = services.ledger.recorder.max_notification_id() or 0, datetime.now(UTC)
    command = msgspec.convert({
        "name": "bench", "template": "debt", "channel": channel.value,
        "windowStart": now.isoformat(), "windowEnd": (now + timedelta(days=1)).isoformat(),
        "recipients": [{"accountNumber": a, "values": {"name": "Клиент", "debt": "1 234,56"}}
                       for a in numbers]}, CreateCampaign)
    desk, campaign_id = campaign_desk(services, load_settings()), uuid4()
    created = timed(lambda: desk.create(command, campaign_id, "bench", now))
    desk.start(campaign_id, "bench", now)
    runner = CampaignRunner(services.pool, desk, services.calendar, AllowedHours.parse(
        "00:00-24:00"))

    def request_all() -> None:
        while runner.advance(campaign_id):
            pass

    requested = timed(request_all)
    events = (services.ledger.recorder.max_notification_id() or 0) - before
    projected = timed(lambda: project(services))
    return [(f"{channel}: create the campaign (list in chunk events)", len(numbers), created,
             "recipients"),
            (f"{channel}: campaign runner, notifications requested", runner.requested,
             requested, "notifications"),
            (f"{channel}: notifications read model, the campaign's events", events, projected,
             "events")], campaign_id


async def dispatch(services: Services, channel: C, gateway: Gateway, count: int) -> Row:
    """The dispatcher until every notification is recorded sent: lease, send, note, record."""
    dispatcher = Dispatcher(services.pool, services.committer, {channel: gateway},
                            services.calendar, AllowedHours.parse("00:00-24:00"),
                            Retry(0.1, 1.0), batch=SEND_BATCH)
    started = time.perf_counter()
    while dispatcher.recorded < count:
        if not await dispatcher.step():
            await asyncio.sleep(0.05)  # a send the far end dropped waits for its retry
    return (f"{channel}: dispatcher, sent through the gateway and recorded", dispatcher.recorded,
            time.perf_counter() - started, "notifications")


async def raw_loop(channel: C, gateway: Gateway, count: int) -> Row:
    """The same sends without the ledger: the gateway alone, batches of the same size."""
    messages = [Outgoing(uuid4(), f"{8_000_000_000 + i}", "campaign", channel,
                         f"+7{8_000_000_000 + i}" if channel is C.SMS else f"c{i}@example.ru",
                         "Задолженность", "Клиент, задолженность 1 234,56 руб.")
                for i in range(count)]
    started, sent = time.perf_counter(), 0
    for start in range(0, count, SEND_BATCH):
        done = await asyncio.gather(
            *(gateway.send(m) for m in messages[start:start + SEND_BATCH]),
            return_exceptions=True)
        sent += sum(1 for d in done if isinstance(d, str))
    return (f"{channel}: raw loop, the same sends alone ({count - sent} dropped by the far end)",
            sent, time.perf_counter() - started, "sends")


async def channel_rows(services: Services, numbers: list[str], channel: C,
                       gateway: Callable[[], Gateway]) -> list[Row]:
    rows, _ = await asyncio.to_thread(campaign, services, numbers, channel)
    through = gateway()
    rows.append(await dispatch(services, channel, through, len(numbers)))
    await through.close()
    alone = gateway()
    rows.append(await raw_loop(channel, alone, len(numbers)))
    await alone.close()
    return rows


def table(rows: list[Row], recipients: int) -> str:
    lines = [f"campaign of {recipients:,} recipients", "",
             "| case | items | seconds | items/s |", "|---|---:|---:|---:|"]
    for case, items, seconds, unit in rows:
        rate = f"{items / seconds:,.0f} {unit}/s" if items and seconds else "—"
        lines.append(f"| {case} | {items:,} {unit} | {seconds:.2f} | {rate} |")
    return "\n".join(lines)


async def run(services: Services, recipients: int, channels: list[C]) -> list[Row]:
    numbers = accounts(recipients)
    print(f"seeding {recipients:,} accounts...", file=sys.stderr, flush=True)
    rows = [await asyncio.to_thread(seed, services, numbers)]
    with far_ends() as (smtp_port, sms_port):
        gateways: dict[C, Callable[[], Gateway]] = {
            C.SMS: lambda: HttpSmsGateway(f"http://127.0.0.1:{sms_port}/send"),
            C.EMAIL: lambda: SmtpGateway(SmtpConfig("127.0.0.1", smtp_port, "bench@example.ru",
                                                    connections=8))}
        for channel in channels:
            print(f"{channel}...", file=sys.stderr, flush=True)
            rows += await channel_rows(services, numbers, channel, gateways[channel])
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    """Seed, run a campaign per channel, send; print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.notify", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a scratch database (default: a fresh one)")
    parser.add_argument("--recipients", type=int, default=100_000, help="(100000)")
    parser.add_argument("--channels", default="sms,email", help="sms,email (both)")
    args = parser.parse_args(argv)
    channels = [C(c.strip()) for c in args.channels.split(",")]
    with scratch_database(args.database_url) as url:
        prepare_database(url)
        services = build(url, load_settings(), pool_size=8)
        try:
            rows = asyncio.run(run(services, args.recipients, channels))
        finally:
            services.close()
    print(table(rows, args.recipients))


if __name__ == "__main__":
    main()
