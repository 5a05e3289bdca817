"""Deterministic stream ids, so any channel can address an account without a lookup."""

from __future__ import annotations

import re
from uuid import UUID, uuid5

from domain.errors import ValidationError

LEDGER_NAMESPACE = UUID("6f1c4f1e-2b7a-5d0e-9a53-3c0c7a1e8b42")

ACCOUNT_NUMBER_PATTERN = r"^(?:[0-9]{6,20}|U-[0-9a-f]{16})$"
"""A personal account (лицевой счёт) or contract number: 6 to 20 digits (6 = contract uid);
or an unidentified contact's stream, `U-` and 16 hex digits (domain/unidentified.py)."""

_ACCOUNT_NUMBER = re.compile(ACCOUNT_NUMBER_PATTERN)
APPEAL_NUMBER_PATTERN = r"^[0-9]{4}-[0-9]{6,}$"


def check_account_number(number: str, field: str = "accountNumber") -> str:
    """The account number as stored, or a validation error naming the field."""
    if not _ACCOUNT_NUMBER.match(number):
        raise ValidationError(
            f"account number must be 6 to 20 digits (or an unidentified contact's U-…"
            f" reference), got {number!r}", field=field
        )
    return number


def account_stream_id(number: str) -> UUID:
    """The account's stream id: the same number always gives the same stream."""
    return uuid5(LEDGER_NAMESPACE, f"account:{check_account_number(number)}")


def format_appeal_number(year: int, serial: int) -> str:
    """Human-readable, supplier-wide unique appeal number, e.g. 2026-000123."""
    return f"{year:04d}-{serial:06d}"
