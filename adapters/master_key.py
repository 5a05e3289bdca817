"""The master key that wraps every personal-data key, held outside the database.

`LEDGER_MASTER_KEY` (base64 of 32 bytes) or, when unset, a key file made once in the data dir
(mode 0600), so a copy of the database alone reads no personal data. Each wrapped key is
stored with the id of the master key that wrapped it: during a rotation keys wrapped by a
previous master (`LEDGER_MASTER_KEY_PREVIOUS`) still unwrap, and `ledger keys rewrap` moves
them under the current one. Keys are never logged; the id reveals nothing of its key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from adapters.key_file import KeyTextError, key_bytes, key_file
from adapters.settings import Settings

KEY_FILE = "master.key"
_NONCE = 12


class MasterKeyError(Exception):
    """A master key is malformed, or a wrapped data key does not unwrap with the ones given."""


@dataclass(frozen=True, repr=False)
class MasterKey:
    """One master key and its id (derived from the key, so a wrong key has another id)."""

    id: str
    aead: AESGCM

    @classmethod
    def decode(cls, encoded: str, source: str) -> MasterKey:
        """A master key from its base64 text; `source` names where it came from, for errors."""
        try:
            raw = key_bytes(encoded, source)
        except KeyTextError as error:
            raise MasterKeyError(str(error)) from None
        key_id = hmac.new(raw, b"ledger master key id", hashlib.sha256).hexdigest()[:16]
        return cls(key_id, AESGCM(raw))


@dataclass(frozen=True, repr=False)
class MasterKeys:
    """The current master key, which wraps new keys, and previous ones still accepted."""

    current: MasterKey
    previous: tuple[MasterKey, ...] = ()

    @property
    def ids(self) -> tuple[str, ...]:
        """The ids of every master key accepted for unwrapping, the current one first."""
        return (self.current.id, *(m.id for m in self.previous))

    def wrap(self, account_id: UUID, data_key: bytes) -> tuple[str, bytes]:
        """The data key encrypted under the current master: (master id, nonce + ciphertext).

        The account id is authenticated with it: a wrapped key moved to another row fails."""
        nonce = os.urandom(_NONCE)
        return self.current.id, nonce + self.current.aead.encrypt(
            nonce, data_key, account_id.bytes)

    def unwrap(self, account_id: UUID, master_id: str | None, stored: bytes) -> bytes:
        """The data key of a row; a row without a master id was stored before wrapping."""
        if master_id is None:
            if len(stored) != 32:
                raise MasterKeyError(f"the unwrapped data key of {account_id} is malformed")
            return stored
        master = next((m for m in (self.current, *self.previous) if m.id == master_id), None)
        if master is None:
            raise MasterKeyError(
                f"the data key of {account_id} is wrapped by master key {master_id}, which is "
                f"not configured (LEDGER_MASTER_KEY, LEDGER_MASTER_KEY_PREVIOUS give "
                f"{', '.join(self.ids)})")
        try:
            return master.aead.decrypt(stored[:_NONCE], stored[_NONCE:], account_id.bytes)
        except InvalidTag:
            raise MasterKeyError(f"the data key of {account_id} does not unwrap under master "
                                 f"key {master_id}: the row was altered") from None


def master_keys(settings: Settings) -> MasterKeys:
    """The configured master keys: LEDGER_MASTER_KEY, else the data dir's key file."""
    if settings.master_key is not None:
        current = MasterKey.decode(settings.master_key, "LEDGER_MASTER_KEY")
    else:
        path = local_master_key(settings.data_dir)
        current = MasterKey.decode(path.read_text(), str(path))
    previous = tuple(MasterKey.decode(k, f"LEDGER_MASTER_KEY_PREVIOUS item {i + 1}")
                     for i, k in enumerate(settings.master_keys_previous))
    return MasterKeys(current, previous)


def local_master_key(data_dir: Path) -> Path:
    """The embedded default's master key file (adapters/key_file.py)."""
    return key_file(data_dir, KEY_FILE, lambda: base64.b64encode(AESGCM.generate_key(256)).decode())
