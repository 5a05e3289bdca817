"""Bearer tokens, roles, and the one table of which role may do what."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import jwt

from domain.errors import ForbiddenError

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
}
"""Operation -> the roles allowed to call it. The README prints the same table."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's subject and role."""

    subject: str
    role: Role

    def check_may(self, operation: str) -> None:
        """Refuse an operation the role may not call (FORBIDDEN)."""
        if self.role not in ACCESS.get(operation, frozenset({Role.ADMIN})):
            raise ForbiddenError(f"role {self.role} may not call {operation}")


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
    path = data_dir / "secret.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
