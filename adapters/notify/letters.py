"""Post letters sealed with the account's data key, and read for printing as an audited access.

A letter holds a postal address and a text addressed to the client: personal data, kept as
the events keep theirs (AES-GCM under the account's key, adapters/pd_mapper.py). Destroying
the key at erasure makes the letter read `[erased]`; the print shop reads letters only
through `letters_to_print`, which records the access before it returns them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from psycopg_pool import ConnectionPool

from adapters.pd_keys import PdKeyStore
from adapters.personal_data import AccessRecorder, Reader
from domain.identity import account_stream_id
from domain.values import ERASED

FIELDS = ("Letter.address", "Letter.subject", "Letter.body")
_UNPRINTED = ("SELECT letter_id, account_number, address, subject, body, sealed, key_generation,"
              " created_at FROM notify_letters WHERE printed_at IS NULL"
              " ORDER BY created_at, letter_id LIMIT %s")


class Letter(msgspec.Struct, frozen=True):
    """A letter as printed: who it goes to and what it says ([erased] once erased)."""

    letter_id: UUID
    account_number: str
    address: str
    subject: str
    body: str

    @property
    def erased(self) -> bool:
        """Whether its personal data was erased."""
        return self.address == ERASED


class _Secret(msgspec.Struct, frozen=True):
    address: str
    subject: str
    body: str


_decoder = msgspec.json.Decoder(_Secret)


def seal(keys: PdKeyStore, letter_id: UUID, account_number: str, address: str, subject: str,
         body: str) -> tuple[int, bytes]:
    """(key generation, nonce + ciphertext) of the letter's personal fields."""
    stream = account_stream_id(account_number)
    key = keys.for_write(stream)
    assert key.cipher is not None
    nonce = os.urandom(12)
    plain = msgspec.json.encode(_Secret(address, subject, body))
    return key.generation, nonce + key.cipher.encrypt(nonce, plain, _aad(stream, letter_id))


def open_letter(keys: PdKeyStore, row: Sequence[Any], erased_at: datetime | None = None
                ) -> Letter:
    """A stored row as a letter: unsealed, `[erased]` if its key is gone; a plain one (written
    before letters were sealed) `[erased]` if the account was erased after it was written."""
    letter_id, number, address, subject, body, sealed, generation = row[:7]
    if sealed is None:
        if erased_at is not None and erased_at >= row[7]:
            return Letter(letter_id, number, ERASED, ERASED, ERASED)
        return Letter(letter_id, number, address, subject, body)
    stream = account_stream_id(number)
    cipher = keys.for_read(stream, generation)
    if cipher is None:
        return Letter(letter_id, number, ERASED, ERASED, ERASED)
    sealed = bytes(sealed)
    secret = _decoder.decode(cipher.decrypt(sealed[:12], sealed[12:], _aad(stream, letter_id)))
    return Letter(letter_id, number, secret.address, secret.subject, secret.body)


def letters_to_print(pool: ConnectionPool, keys: PdKeyStore, recorder: AccessRecorder,
                     reader: Reader, limit: int = 100) -> list[Letter]:
    """The oldest unprinted letters; the access to each account's letters is stored first
    (erased letters show nothing, so they are not recorded)."""
    with pool.connection() as conn:
        rows = conn.execute(_UNPRINTED, (limit,)).fetchall()
        erased = _erasures(conn, {row[1] for row in rows if row[5] is None})
    letters = [open_letter(keys, row, erased.get(row[1])) for row in rows]
    recorder.record(reader, {x.account_number: set(FIELDS) for x in letters if not x.erased})
    return letters


def mark_printed(pool: ConnectionPool, letter_ids: Sequence[UUID]) -> int:
    """Record that the letters went to print; how many were still unprinted."""
    with pool.connection() as conn:
        cur = conn.execute("UPDATE notify_letters SET printed_at = now()"
                           " WHERE letter_id = ANY(%s) AND printed_at IS NULL", (list(letter_ids),))
        return cur.rowcount


def _erasures(conn: Any, numbers: set[str]) -> dict[str, datetime]:
    """When each of these accounts was last erased (plain letters only: sealed ones follow
    their key)."""
    if not numbers:
        return {}
    by_stream = {account_stream_id(n): n for n in numbers}
    rows = conn.execute("SELECT account_id, erased_at FROM pd_keys WHERE account_id = ANY(%s)"
                        " AND erased_at IS NOT NULL", (list(by_stream),)).fetchall()
    return {by_stream[row[0]]: row[1] for row in rows}


def _aad(stream: UUID, letter_id: UUID) -> bytes:
    """The account and the letter: a sealed text moved to another letter does not open."""
    return stream.bytes + letter_id.bytes
