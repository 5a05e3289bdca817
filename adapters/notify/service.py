"""Wiring of the notification side: templates, rules, gateways, and the four processes.

`ledger serve` and `ledger notify` both run: the notifier and the campaign runner in threads,
the dispatcher and the receipt consumer as NATS workers (push, phone and chat go out on NATS).
"""

from __future__ import annotations

import asyncio
import threading
from functools import cache
from typing import TYPE_CHECKING

from nats.aio.client import Client
from nats.js import JetStreamContext

from adapters.follower import LogFollower
from adapters.nats.streams import Subjects
from adapters.nats.workers import Worker
from adapters.notify.campaign_runner import CampaignRunner
from adapters.notify.campaign_sealer import CampaignSealer
from adapters.notify.dispatcher import Dispatcher, Retry
from adapters.notify.gateways import Gateway
from adapters.notify.nats_out import NatsGateway, NotifySubjects
from adapters.notify.notifier import Notifier
from adapters.notify.post import PostGateway
from adapters.notify.receipt_worker import ReceiptConsumer
from adapters.notify.sms_http import HttpSmsGateway, UnconfiguredGateway
from adapters.notify.smtp import SmtpConfig, SmtpGateway
from adapters.settings import Settings
from domain.campaign_commands import AllowedHours
from domain.campaign_desk import CampaignDesk
from domain.notification_rules import RuleBook
from domain.notification_values import NotificationChannel as C
from domain.templates import DEFAULT_TEMPLATES, TemplateBook, load_templates

if TYPE_CHECKING:
    from adapters.bootstrap import Services


@cache
def _templates(path: str | None) -> TemplateBook:
    return DEFAULT_TEMPLATES if path is None else load_templates(path)


def templates(settings: Settings) -> TemplateBook:
    """The templates of LEDGER_NOTIFICATION_TEMPLATES, or the built-in ones."""
    path = settings.notification_templates
    return _templates(None if path is None else str(path))


def rule_book(services: Services, settings: Settings) -> RuleBook:
    """Templates, the SLA policy (its survey timer), the calendar and the links."""
    from adapters.bootstrap import sla_policy

    return RuleBook(templates(settings), sla_policy(settings), services.calendar,
                    settings.survey_url, settings.chat_url)


def campaign_desk(services: Services, settings: Settings) -> CampaignDesk:
    """The campaigns' command handlers on the services' ledger; lists sealed with its keys."""
    return CampaignDesk(services.ledger, templates(settings), CampaignSealer(services.keys))


def gateways(services: Services, settings: Settings, js: JetStreamContext,
             subjects: NotifySubjects) -> dict[C, Gateway]:
    """One gateway per channel, from the settings."""
    timeout = settings.notify_timeout_seconds
    smtp = SmtpConfig(settings.smtp_host, settings.smtp_port, settings.smtp_from,
                      settings.smtp_starttls, settings.smtp_user, settings.smtp_password,
                      timeout, settings.smtp_connections)
    sms: Gateway = UnconfiguredGateway("LEDGER_SMS_GATEWAY_URL") if not (
        settings.sms_gateway_url) else HttpSmsGateway(
        settings.sms_gateway_url, settings.sms_gateway_token, timeout)
    found: dict[C, Gateway] = {C.EMAIL: SmtpGateway(smtp), C.SMS: sms,
                               C.POST: PostGateway(services.pool, services.calendar.tz,
                                                   services.keys)}
    for channel in (C.PUSH, C.PHONE, C.CHAT):
        found[channel] = NatsGateway(js, subjects, channel.value, timeout)
    return found


def notify_workers(services: Services, settings: Settings) -> list[Worker]:
    """The dispatcher and the receipt consumer, as NATS workers."""
    subjects = NotifySubjects(Subjects.of(settings))

    async def dispatch(_: Client, js: JetStreamContext, stop: asyncio.Event) -> None:
        await subjects.ensure(js, settings)
        found = gateways(services, settings, js, subjects)
        dispatcher = Dispatcher(
            services.pool, services.committer, found, services.calendar,
            AllowedHours.parse(settings.campaign_hours),
            Retry(settings.notify_retry_base_seconds, settings.notify_retry_max_seconds),
            settings.notify_batch, settings.notify_timeout_seconds)
        try:
            await dispatcher.run(stop, settings.notify_poll_seconds)
        finally:
            for gateway in found.values():
                await gateway.close()

    async def receive(_: Client, js: JetStreamContext, stop: asyncio.Event) -> None:
        await subjects.ensure(js, settings)
        await ReceiptConsumer(services.pool, services.committer, Subjects.of(settings)).run(
            js, stop)

    return [dispatch, receive]


def start_notify_threads(services: Services, settings: Settings) -> None:
    """Run the notifier and the campaign runner in background threads."""
    follower = LogFollower(services.ledger, services.url)
    services.followers.append(follower)
    notifier = Notifier(services.pool, services.ledger, follower, rule_book(services, settings))
    runner = CampaignRunner(services.pool, campaign_desk(services, settings), services.calendar,
                            AllowedHours.parse(settings.campaign_hours))
    for name, target, args in (("notifier", notifier.run, (services.stop,)),
                               ("campaign-runner", runner.run,
                                (services.stop, settings.notify_poll_seconds))):
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        services.threads.append(thread)
