"""Signed exports: an auditor who holds the ledger's public key knows a file came from it.

The hashes and the checkpoint proof show that an export is consistent, but anyone can make a
consistent file. Its last line signs (Ed25519) the SHA-256 of every byte before it, with
`LEDGER_EXPORT_SIGNING_KEY` (base64 of a 32-byte private key) or, when unset, a key file made
once in the data dir. `ledger keys public` prints the public key to give auditors;
`ledger verify --file F --public-key KEY` then refuses a file that key did not sign.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from adapters.export_format import ExportSignature
from adapters.key_file import KeyTextError, key_bytes, key_file
from adapters.settings import Settings

KEY_FILE = "export-signing.key"
CONTEXT = b"ledger export v1\n"
"""Signed before the digest: a signature made for anything else never passes for an export's."""


class SigningKeyError(Exception):
    """A signing or public key is malformed."""


def _raw(encoded: str, source: str) -> bytes:
    try:
        return key_bytes(encoded, source)
    except KeyTextError as error:
        raise SigningKeyError(str(error)) from None


def public_key(encoded: str, source: str) -> Ed25519PublicKey:
    """A public key from its base64 text; `source` names where it came from, for errors."""
    return Ed25519PublicKey.from_public_bytes(_raw(encoded, source))


def public_text(key: Ed25519PublicKey) -> str:
    """The base64 text of a public key, as `ledger keys public` prints it."""
    return base64.b64encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def key_id(key: Ed25519PublicKey) -> str:
    """A short name for a public key, shown beside it (derived from it, so it proves nothing)."""
    return hashlib.sha256(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()[:16]


@dataclass(frozen=True, repr=False)
class ExportSigner:
    """The private key exports are signed with."""

    private: Ed25519PrivateKey

    @property
    def public(self) -> Ed25519PublicKey:
        """The key auditors check signatures with."""
        return self.private.public_key()

    def sign(self, digest: bytes) -> ExportSignature:
        """The signature line for a file whose bytes before it hash to `digest`."""
        return ExportSignature(
            signature=base64.b64encode(self.private.sign(CONTEXT + digest)).decode(),
            public_key=public_text(self.public), key_id=key_id(self.public),
            sha256=digest.hex())


def export_signer(settings: Settings) -> ExportSigner:
    """The configured signing key: LEDGER_EXPORT_SIGNING_KEY, else the data dir's key file."""
    if settings.export_signing_key is not None:
        encoded, source = settings.export_signing_key, "LEDGER_EXPORT_SIGNING_KEY"
    else:
        path = key_file(settings.data_dir, KEY_FILE, _new_key)
        encoded, source = path.read_text(), str(path)
    return ExportSigner(Ed25519PrivateKey.from_private_bytes(_raw(encoded, source)))


def _new_key() -> str:
    raw = Ed25519PrivateKey.generate().private_bytes(
        Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return base64.b64encode(raw).decode()


def signature_problem(line: ExportSignature, digest: bytes,
                      trusted: list[Ed25519PublicKey]) -> tuple[str, str, str] | None:
    """What is wrong with a file's signature line, given the digest of the bytes before it
    and the public keys the auditor holds (none: any valid signature): (problem, expected,
    found), or None when it holds."""
    if line.sha256 != digest.hex():
        return "the file was changed after it was signed", line.sha256, digest.hex()
    try:
        signer = public_key(line.public_key, "the signature line's publicKey")
        signer.verify(base64.b64decode(line.signature, validate=True), CONTEXT + digest)
    except (SigningKeyError, InvalidSignature, binascii.Error, ValueError):
        return "the signature does not match the key it names", line.key_id, "an invalid signature"
    if trusted and key_id(signer) not in {key_id(k) for k in trusted}:
        return ("signed with a key other than the ones you hold",
                ", ".join(key_id(k) for k in trusted), key_id(signer))
    return None
