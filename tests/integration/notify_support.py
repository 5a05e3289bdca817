"""What the notification tests share: a local SMTP server, a local SMS provider, and short
ways to set an account up, run the notifier and the dispatcher, and look at the outcome."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from adapters.bootstrap import Services
from adapters.embedded import free_port
from adapters.follower import LogFollower
from adapters.notify.dispatcher import Dispatcher, Retry
from adapters.notify.gateways import Gateway
from adapters.notify.notifier import Notifier
from adapters.notify.service import rule_book
from adapters.notify.sms_http import HttpSmsGateway
from adapters.notify.smtp import SmtpConfig, SmtpGateway
from adapters.settings import load_settings
from domain import commands as c
from domain import notification_commands as n
from domain.campaign_commands import AllowedHours
from domain.notification_values import ContactKind, ContactSource
from domain.notification_values import NotificationChannel as C
from domain.values import Channel, Direction
from projections.notification_queries import NotificationFilter, NotificationRow
from projections.notification_queries import read_notifications as read_rows
from tests.integration.sla_support import OPERATOR, now

ALWAYS = AllowedHours.parse("00:00-24:00")


class Mailbox:
    """An SMTP server on localhost keeping what it receives; it can be stopped and restarted."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[EmailMessage] = []
        self.refuse: set[str] = set()
        self._controller: Controller | None = None

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,  # noqa: N802
                          address: str, options: list[str]) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session,  # noqa: N802
                          envelope: Envelope) -> str:
        content = envelope.original_content or b""
        self.received.append(message_from_bytes(content, policy=policy.default))
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def gateway(self) -> SmtpGateway:
        return SmtpGateway(SmtpConfig("127.0.0.1", self.port, "ledger@example.ru", timeout=2.0,
                                      connections=2))


@dataclass
class SmsProvider:
    """An HTTP server standing in for the SMS provider: records each request it answers."""

    mode: str = "ok"
    """ok (200 with an id), down (503) or refuse (400)."""
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    port: int = field(default_factory=free_port)

    def serve(self) -> ThreadingHTTPServer:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status, answer = {"ok": (200, {"id": f"sms-{len(provider.received) + 1}"}),
                                  "down": (503, {"error": "maintenance"}),
                                  "refuse": (400, {"error": "bad number"})}[provider.mode]
                if provider.mode == "ok":
                    provider.received.append(body)
                    provider.headers.append(dict(self.headers))
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        return ThreadingHTTPServer(("127.0.0.1", self.port), Handler)

    def gateway(self) -> HttpSmsGateway:
        return HttpSmsGateway(f"http://127.0.0.1:{self.port}/send", token="sms-secret",
                              timeout=2.0)


@contextmanager
def sms_provider() -> Iterator[SmsProvider]:
    provider = SmsProvider()
    server = provider.serve()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()


def reachable_by(services: Services, account: str, *channels: C, email: str = "",
                 mobile: str = "") -> None:
    """The client gave an e-mail and a mobile voluntarily and agreed to these channels."""
    act(services, c.RecordInteraction(
        account_number=account, channel=Channel.OFFICE, direction=Direction.OUTBOUND,
        occurred_at=now(), summary="Договор"))
    for kind, value in ((ContactKind.EMAIL, email), (ContactKind.MOBILE, mobile)):
        if value:
            act(services, n.RecordContactPoint(account_number=account, kind=kind, value=value,
                                               source=ContactSource.CLIENT))
    for channel in channels:
        act(services, n.RecordConsent(account_number=account, channel=channel, given=True))


def act(services: Services, command: c.Command) -> Any:
    """Run one command as the operator; its outcome."""
    return services.ledger.execute(command, OPERATOR, now())


def notifier(services: Services, clock: Callable[[], datetime] | None = None) -> Notifier:
    follower = LogFollower(services.ledger, services.url)
    services.followers.append(follower)
    return Notifier(services.pool, services.ledger, follower,
                    rule_book(services, load_settings()), clock or (lambda: datetime.now(UTC)))


def dispatcher(services: Services, gateways: dict[C, Gateway],
               clock: Callable[[], datetime] | None = None,
               hours: AllowedHours = ALWAYS) -> Dispatcher:
    return Dispatcher(services.pool, services.committer, gateways, services.calendar, hours,
                      Retry(0.05, 0.2), batch=50, timeout=2.0,
                      now=clock or (lambda: datetime.now(UTC)))


def project(services: Services) -> None:
    """Bring the notification and campaign read models up to the log head."""
    for name in ("notifications", "campaigns", "sla_timers"):
        services.projector(name).catch_up()


def notifications(services: Services, account: str) -> list[NotificationRow]:
    """The account's notifications, newest first, as the read model shows them."""
    project(services)
    with services.pool.connection() as conn:
        return read_rows(conn, account, NotificationFilter(), 200, None)


def one(services: Services, query: str, *params: Any) -> tuple[Any, ...]:
    """The one row a query finds."""
    with services.pool.connection() as conn:
        row = conn.execute(query, params).fetchone()
    assert row is not None
    return tuple(row)


def event_names(services: Services, account: str, prefix: str = "") -> list[str]:
    from tests.integration.sla_support import events

    return [type(e).__name__ for e in events(services, account)
            if type(e).__name__.startswith(prefix)]
