"""E-mail over SMTP: a few connections kept open, each send in a thread (smtplib blocks).

The Message-ID carries the notification id, so a bounce or a reply names the notification
and a resend after a crash is recognisable as the same message.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

from adapters.notify.gateways import GatewayDownError, GatewayRefusedError, Outgoing


@dataclass(frozen=True)
class SmtpConfig:
    """Where and as whom to send."""

    host: str
    port: int
    sender: str
    starttls: bool = False
    user: str | None = None
    password: str | None = None
    timeout: float = 10.0
    connections: int = 4


def message_id(notification_id: object, sender: str) -> str:
    """The Message-ID header of a notification's e-mail."""
    domain = sender.rpartition("@")[2] or "ledger"
    return f"<{notification_id}@{domain}>"


class SmtpGateway:
    """Sends e-mail notifications through a mail server."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._idle: queue.SimpleQueue[smtplib.SMTP] = queue.SimpleQueue()
        self._slots = asyncio.Semaphore(config.connections)

    async def send(self, message: Outgoing) -> str:
        """Hand the e-mail to the server; its Message-ID is the gateway id.

        Each SMTP operation is bounded by the socket's timeout, so the sending thread itself
        fails on a silent server. The slot is held until that thread has finished, even if
        the caller stops waiting: its connection is in use until then."""
        async with self._slots:
            sending = asyncio.ensure_future(asyncio.to_thread(self.send_now, message))
            try:
                return await asyncio.shield(sending)
            finally:
                if not sending.done():  # cancelled: the thread still sends; keep the slot
                    with contextlib.suppress(Exception):
                        await asyncio.shield(sending)

    def send_now(self, message: Outgoing) -> str:
        """Send on an idle connection (or a new one), blocking."""
        email = self.compose(message)
        try:
            client = self._idle.get_nowait()
        except queue.Empty:
            client = self._connect()
        else:
            if not _alive(client):  # the server closed an idle connection: open another
                self._drop(client)
                client = self._connect()
        try:
            refused = client.send_message(email)
        except smtplib.SMTPRecipientsRefused as error:
            self._idle.put(client)
            raise GatewayRefusedError(_reason(error.recipients)) from None
        except smtplib.SMTPResponseException as error:
            self._drop(client)
            if 500 <= error.smtp_code < 600:
                raise GatewayRefusedError(f"{error.smtp_code} {error.smtp_error!r}") from None
            raise GatewayDownError(f"{error.smtp_code} {error.smtp_error!r}") from None
        except (OSError, smtplib.SMTPException) as error:
            self._drop(client)
            raise GatewayDownError(repr(error)) from None
        self._idle.put(client)
        if refused:
            raise GatewayRefusedError(_reason(refused))
        return str(email["Message-ID"])

    def compose(self, message: Outgoing) -> EmailMessage:
        """The e-mail of a notification: plain text, UTF-8."""
        email = EmailMessage()
        email["From"] = self.config.sender
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=True)
        email["Message-ID"] = message_id(message.notification_id, self.config.sender)
        email["X-Ledger-Notification"] = str(message.notification_id)
        email.set_content(message.text)
        return email

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        try:
            client = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
            if config.starttls:
                client.starttls(context=ssl.create_default_context())
            if config.user:
                client.login(config.user, config.password or "")
        except (OSError, smtplib.SMTPException) as error:
            raise GatewayDownError(f"cannot reach {config.host}:{config.port}: {error!r}") from None
        return client

    def _drop(self, client: smtplib.SMTP) -> None:
        with contextlib.suppress(Exception):
            client.close()

    async def close(self) -> None:
        """Say goodbye on every idle connection."""
        while True:
            try:
                client = self._idle.get_nowait()
            except queue.Empty:
                return
            with contextlib.suppress(Exception):
                client.quit()


def _alive(client: smtplib.SMTP) -> bool:
    try:
        return client.noop()[0] == 250
    except (OSError, smtplib.SMTPException):
        return False


def _reason(refused: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{code} {text.decode(errors='replace')}" for code, text in refused.values())
