"""Bearer tokens, roles, and the one table of which role may do what."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import jwt

from adapters.key_file import key_file
from domain.errors import ForbiddenError
from domain.values import Channel

ALGORITHM = "HS256"


class Role(StrEnum):
    """The roles of API.md."""

    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    INTEGRATION = "integration"
    ADMIN = "admin"


_R = Role
_READERS = frozenset({_R.OPERATOR, _R.SUPERVISOR, _R.AUDITOR, _R.ADMIN})
_WORKERS = frozenset({_R.OPERATOR, _R.SUPERVISOR, _R.ADMIN})
_CHANNELS = _WORKERS | {_R.INTEGRATION}

ACCESS: dict[str, frozenset[Role]] = {
    "account": _READERS,
    "appeal": _READERS | {_R.INTEGRATION},
    "appeals": _READERS,
    "recordInteraction": _CHANNELS,
    "recordUnidentifiedInteraction": _CHANNELS,
    "linkContact": _WORKERS,
    "registerAppeal": _CHANNELS,
    "assignAppeal": _WORKERS,
    "requestClarification": _WORKERS,
    "deferAppeal": _WORKERS,
    "extendAppeal": _WORKERS,
    "answerAppeal": _WORKERS,
    "closeAppeal": _WORKERS,
    "leaveAppealWithoutConsideration": _WORKERS,
    "slaTimers": _READERS,
    "timeliness": _READERS,
    "timelineAppended": _READERS,
    "appealUpdated": _READERS,
    "metrics": frozenset({_R.SUPERVISOR, _R.ADMIN, _R.AUDITOR}),
    "asOf": frozenset({_R.AUDITOR, _R.ADMIN}),
    "personalData": _WORKERS | {_R.INTEGRATION},
    "personalDataAccess": frozenset({_R.AUDITOR}),
    "subjectReport": frozenset({_R.AUDITOR}),
    "erasePersonalData": frozenset({_R.ADMIN}),
    "introspection": frozenset(Role),
    "notifications": _READERS,
    "notification": _READERS,
    "campaign": _READERS,
    "recordConsent": _WORKERS,
    "recordContactPoint": _WORKERS,
    "requestNotification": frozenset({_R.INTEGRATION, _R.SUPERVISOR, _R.ADMIN}),
    "createCampaign": frozenset({_R.SUPERVISOR, _R.ADMIN}),
    "startCampaign": frozenset({_R.SUPERVISOR, _R.ADMIN}),
    "cancelCampaign": frozenset({_R.SUPERVISOR, _R.ADMIN}),
    "notificationReceipt": frozenset({_R.INTEGRATION, _R.ADMIN}),
}
"""Operation -> the roles allowed to call it. The README prints the same table.

`personalData` is a field right: the roles shown personal-data fields, and only with a
declared purpose (X-Purpose); others read them as `***` (api/graphql/personal.py). An
integration token is also held to its channel (`Principal.check_channel`)."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's subject and role."""

    subject: str
    role: Role

    def may(self, operation: str) -> bool:
        """Whether the role may call the operation (unlisted ones: admin only)."""
        return self.role in ACCESS.get(operation, frozenset({Role.ADMIN}))

    def check_may(self, operation: str) -> None:
        """Refuse an operation the role may not call (FORBIDDEN)."""
        if not self.may(operation):
            raise ForbiddenError(f"role {self.role} may not call {operation}")

    @property
    def channel(self) -> Channel | None:
        """An integration's channel: its subject names it, e.g. `gis_zhkh` or `phone:pbx-2`."""
        try:
            return Channel(self.subject.split(":", 1)[0])
        except ValueError:
            return None

    def check_channel(self, *channels: Channel | None) -> None:
        """An integration ingests and reads only what concerns its own channel (FORBIDDEN)."""
        if self.role is Role.INTEGRATION and (
            self.channel is None or self.channel not in channels
        ):
            raise ForbiddenError(
                f"integration {self.subject} may only use its own channel, not "
                f"{', '.join(str(c).upper() for c in channels if c) or 'this one'}"
            )


class InvalidTokenError(Exception):
    """The token is missing, malformed, expired, or signed with an unknown key."""


@dataclass(frozen=True)
class TokenKeys:
    """The signing key, and earlier keys still accepted while a rotation completes."""

    current: str
    previous: tuple[str, ...] = ()

    def issue(self, role: Role, subject: str, ttl_seconds: int, now: float | None = None) -> str:
        """A signed bearer token for a subject with a role, valid for ttl_seconds."""
        issued = int(now if now is not None else time.time())
        claims = {"sub": subject, "role": role.value, "iat": issued, "exp": issued + ttl_seconds}
        return jwt.encode(claims, self.current, algorithm=ALGORITHM)

    def verify(self, token: str) -> Principal:
        """The principal a token names, if any accepted key signed it and it has not expired."""
        for key in (self.current, *self.previous):
            try:
                claims = jwt.decode(token, key, algorithms=[ALGORITHM], options={
                    "require": ["sub", "role", "exp"]})
            except jwt.InvalidSignatureError:
                continue
            except jwt.PyJWTError as error:
                raise InvalidTokenError(str(error)) from error
            try:
                return Principal(subject=str(claims["sub"]), role=Role(claims["role"]))
            except ValueError as error:
                raise InvalidTokenError(f"unknown role {claims['role']!r}") from error
        raise InvalidTokenError("signature does not match any accepted key")


def local_secret(data_dir: Path) -> str:
    """The embedded default's signing key: made once, kept in the data dir (mode 0600)."""
    return key_file(data_dir, "secret.key", lambda: secrets.token_urlsafe(48)).read_text().strip()
