"""Post: a print-ready letter record per notification, for the print shop to pick up."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from psycopg_pool import ConnectionPool

from adapters.notify.gateways import GatewayDownError, Outgoing
from adapters.notify.letters import seal
from adapters.pd_keys import PdKeyStore


def letter(message: Outgoing, date: str) -> str:
    """The letter as printed: the address block, the date, the subject, the text."""
    return (f"{message.recipient}\n\nЛицевой счёт: {message.account_number}\n{date}\n\n"
            f"{message.subject}\n\n{message.text}\n")


class PostGateway:
    """Writes the letter to `notify_letters`, sealed (adapters/notify/letters.py); the letter's
    id is the notification's."""

    def __init__(self, pool: ConnectionPool, tz: ZoneInfo, keys: PdKeyStore) -> None:
        self.pool, self.tz, self.keys = pool, tz, keys

    async def send(self, message: Outgoing) -> str:
        """The letter id; a resend finds the letter already there."""
        return await asyncio.to_thread(self._write, message)

    def _write(self, message: Outgoing) -> str:
        now = datetime.now(UTC)
        body = letter(message, now.astimezone(self.tz).strftime("%d.%m.%Y"))
        try:  # sealed with the account's key: erasing the account erases the letter
            generation, sealed = seal(self.keys, message.notification_id,
                                      message.account_number, message.recipient,
                                      message.subject, body)
            with self.pool.connection() as conn:
                conn.execute(
                    "INSERT INTO notify_letters (letter_id, account_number, sealed,"
                    " key_generation, created_at) VALUES (%s, %s, %s, %s, %s)"
                    " ON CONFLICT DO NOTHING",
                    (message.notification_id, message.account_number, sealed, generation, now))
        except Exception as error:
            raise GatewayDownError(f"letters table: {error!r}") from None
        return f"letter:{message.notification_id}"

    async def close(self) -> None:
        """The pool belongs to the services."""
