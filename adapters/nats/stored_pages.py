"""The publisher's read: stored rows straight to message bodies, byte for byte messages.py's.

The mapper decodes each stored field into its type, builds the event, and the body encodes the
fields back; for JSON that msgspec wrote, encode(decode(x)) is x. So for an event class on the
fast path of bodies.py, stored as its current class version, each field's stored JSON is taken
as it is (`msgspec.Raw`), renamed to camelCase, put back in the class's field order, with the
personal fields decrypted from `sealed` (or erased markers when the key is destroyed), exactly
as `PersonalDataMapper.unseal` does. Anything else (an older version to upcast, a field
missing, another mapper) goes through the mapper and the reference body.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder

from adapters.follower import LogFollower
from adapters.log_scan import Row, events_table, read_rows
from adapters.nats.bodies import Body, body, event_id_text
from adapters.nats.messages import Message
from adapters.nats.plans import Page, Plan, plan_of
from adapters.nats.sending import Outgoing, outgoing_message
from adapters.nats.streams import Subjects
from adapters.pd_mapper import SEALED, PersonalDataMapper, Sealed, SealedShape, _aad
from domain.ledger import Ledger
from projections.base import LoggedEvent

_raw_fields = msgspec.json.Decoder(dict[str, msgspec.Raw])
_sealed = msgspec.json.Decoder(Sealed)
_encoder = msgspec.json.Encoder()
_NULL = msgspec.Raw(b"null")


class MessageFollower(LogFollower):
    """A LogFollower that also reads the log as ready NATS messages, in one binary query."""

    def __init__(self, ledger: Ledger, url: str) -> None:
        super().__init__(ledger, url)
        self._plans: dict[str, Plan | None] = {}

    def messages(self, subjects: Subjects, after: int, limit: int) -> list[Outgoing]:
        """Up to `limit` events after position `after` as messages, in log order."""
        self.mark_seen()  # as read() does, for wait_for_new
        recorder = self._ledger.recorder
        assert isinstance(recorder, PostgresApplicationRecorder)
        with recorder.datastore.get_connection() as conn:
            rows = read_rows(conn, events_table(self._ledger), after, limit)
        page = Page()
        out: list[Outgoing] = []
        for row in rows:
            plan = self._plan(row[3])
            made, name = (plan and self._fast(row, plan, page)) or self._reference(row)
            previous = out[-1].msg_id if out else None
            out.append(outgoing_message(
                subjects, row[0], page.text(row[1]), name, made, previous))
        return out

    def _plan(self, topic: str) -> Plan | None:
        """How the topic's stored JSON becomes a body; None when its events need the mapper."""
        if topic not in self._plans:
            self._plans[topic] = plan_of(self._ledger.mapper, topic)
        return self._plans[topic]

    def _fast(self, row: Row, plan: Plan, page: Page) -> tuple[Body, str] | None:
        """The body and event type from the stored JSON, or None if the mapper must decode."""
        position, stream_id, version, _, state = row
        fields = _raw_fields.decode(state)
        stored_version = fields.pop("class_version", None)
        if (1 if stored_version is None else int(bytes(stored_version))) != plan.version:
            return None  # stored before the class changed: upcast by the mapper
        sealed = fields.pop(SEALED, _NULL)
        if sealed != _NULL:
            if plan.sealed is None:
                return None
            for key, value in self._unsealed(plan.sealed, row, sealed, page).items():
                fields.setdefault(key, value)
        when = next((fields[t] for t in plan.times if fields.get(t, _NULL) != _NULL), None)
        if when is None or not plan.names.keys() <= fields.keys():
            return None  # no time, or a field left to its default: the mapper knows
        msg_id = event_id_text(stream_id, version)
        payload = {camel: fields[field] for field, camel in plan.names.items()}
        message: Message[str, msgspec.Raw] = Message(  # times already JSON
            msg_id, plan.name, self._number(stream_id, plan.name, fields, page), stream_id,
            version, position, when, fields["timestamp"], payload)
        return Body(msg_id, _encoder.encode(message)), plan.name

    def _unsealed(
        self, shape: SealedShape, row: Row, sealed: msgspec.Raw, page: Page
    ) -> dict[str, Any]:
        """The personal fields as unseal puts them back: decrypted, or the erased markers."""
        stream_id, version = row[1], row[2]
        box = _sealed.decode(sealed)
        key = (stream_id.int, box.k)
        if key not in page.ciphers:
            mapper = self._ledger.mapper
            assert isinstance(mapper, PersonalDataMapper)
            page.ciphers[key] = mapper.keys.for_read(stream_id, box.k)
        cipher = page.ciphers[key]
        if cipher is None:
            return shape.erased
        plain = cipher.decrypt(box.b[:12], box.b[12:], _aad(stream_id, version))
        return _raw_fields.decode(plain)

    def _reference(self, row: Row) -> tuple[Body, str]:
        position, stream_id, version, topic, state = row
        event = self._ledger.mapper.to_domain_event(StoredEvent(stream_id, version, topic, state))
        logged = LoggedEvent(position, event, self._account_number(event))
        return body(logged), logged.type

    def _number(self, stream_id: UUID, name: str, fields: dict[str, Any], page: Page) -> str:
        """The account number, as LogFollower._account_number finds it."""
        if name == "Opened":
            self._remember(stream_id, msgspec.json.decode(fields["number"], type=str))
        elif stream_id.int in page.numbers:
            return page.numbers[stream_id.int]
        number = self._numbers.get(stream_id)
        if number is None:
            opened = self._ledger.repository.event_store.get(stream_id, lte=1)
            number = getattr(next(iter(opened)), "number", "")
            self._remember(stream_id, number)
        page.numbers[stream_id.int] = number
        return number

