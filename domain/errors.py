"""Domain errors, each with the stable code of API.md so every boundary reports it alike."""

from __future__ import annotations


class LedgerError(Exception):
    """A request the ledger refuses; nothing was stored."""

    code = "INTERNAL"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(LedgerError):
    """The input is malformed; `field` names where."""

    code = "VALIDATION"

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


class NotFoundError(LedgerError):
    """The account or appeal named does not exist."""

    code = "NOT_FOUND"


class InvalidTransitionError(LedgerError):
    """The appeal's lifecycle does not allow the action in its current status."""

    code = "INVALID_TRANSITION"

    def __init__(self, appeal_number: str, status: str, action: str, why: str = "") -> None:
        detail = f": {why}" if why else ""
        super().__init__(
            f"appeal {appeal_number} is {status.upper()}; cannot {action}{detail}"
        )
        self.appeal_number = appeal_number
        self.status = status
        self.action = action


class ConflictError(LedgerError):
    """Concurrent writes kept conflicting; the command was not applied."""

    code = "CONFLICT"


class ForbiddenError(LedgerError):
    """The caller's role may not do this."""

    code = "FORBIDDEN"
