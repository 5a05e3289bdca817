"""Campaign recipients' figures sealed with each recipient's own account data key.

As the mapper seals events' personal fields (adapters/pd_mapper.py): AES-GCM with a random
nonce, and the account's stream and the campaign as associated data, so sealed figures do not
open as another account's or another campaign's. Erasure destroys the account's key: its
figures then open as None (erased), the other recipients' as before. The keys of a chunk are
loaded, or made, in one statement.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from uuid import UUID

import msgspec

from adapters.pd_keys import PdKeyStore
from domain.campaign import CHUNK
from domain.campaign_commands import Recipient
from domain.campaign_list import ListedRecipient, SealedValues, Values
from domain.identity import account_stream_id

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(dict[str, str])


class CampaignSealer:
    """The RecipientSealer of domain/campaign_list.py on the `pd_keys` table."""

    def __init__(self, keys: PdKeyStore) -> None:
        self.keys = keys

    def seal(self, campaign_id: UUID, recipients: Sequence[Recipient]) -> list[ListedRecipient]:
        """The recipients as stored, a chunk's keys loaded (or made) at a time."""
        listed: list[ListedRecipient] = []
        for start in range(0, len(recipients), CHUNK):
            part = [(r, account_stream_id(r.account_number) if r.values else None)
                    for r in recipients[start:start + CHUNK]]
            self.keys.make_many(stream for _, stream in part if stream is not None)
            listed += [self._seal(campaign_id, r, stream) for r, stream in part]
        return listed

    def open(self, campaign_id: UUID, listed: Sequence[ListedRecipient]) -> list[Values | None]:
        """Each recipient's figures in order; None where its account was erased."""
        self.keys.preload(account_stream_id(r.account_number) for r in listed if r.sealed)
        return [self._open(campaign_id, r) for r in listed]

    def _seal(self, campaign_id: UUID, recipient: Recipient, stream: UUID | None) -> (
            ListedRecipient):
        if stream is None:  # no figures: nothing personal to seal, no key to make
            return ListedRecipient(account_number=recipient.account_number)
        key = self.keys.for_write(stream)
        assert key.cipher is not None
        nonce = os.urandom(12)
        box = key.cipher.encrypt(nonce, _encoder.encode(recipient.values),
                                 _aad(stream, campaign_id))
        return ListedRecipient(account_number=recipient.account_number,
                               sealed=SealedValues(k=key.generation, b=nonce + box))

    def _open(self, campaign_id: UUID, recipient: ListedRecipient) -> Values | None:
        sealed = recipient.sealed
        if sealed is None:  # listed before sealing, or with no figures
            return dict(recipient.values)
        stream = account_stream_id(recipient.account_number)
        cipher = self.keys.for_read(stream, sealed.k)
        if cipher is None:
            return None
        return _decoder.decode(cipher.decrypt(sealed.b[:12], sealed.b[12:],
                                              _aad(stream, campaign_id)))


def _aad(stream: UUID, campaign_id: UUID) -> bytes:
    """The account and the campaign: figures moved to another recipient do not open."""
    return stream.bytes + campaign_id.bytes
