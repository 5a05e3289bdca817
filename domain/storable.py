"""What the ledger can store and every read model can hold, checked before a command is decided.

msgspec validates each field's type and bounds; these are the values that pass those and the
event store, then break what reads the log: a NUL character (no PostgreSQL text column takes
it, so the first read model to copy it stopped there for every account) and moments near the
ends of the calendar (the SLA calendar overflows past year 9999).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec

from domain.errors import ValidationError

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
"""Moments a command may carry: from EARLIEST, before LATEST."""


def check_storable(command: msgspec.Struct, prefix: str = "") -> None:
    """Refuse the first value that cannot be stored, naming its field (camelCase, under
    `prefix`, e.g. "input.")."""
    found = _unstorable(msgspec.to_builtins(command, builtin_types=(datetime,)),
                        prefix.rstrip("."))
    if found is not None:
        where, problem = found
        raise ValidationError(f"{where} {problem}", field=where)


def _unstorable(value: Any, path: str) -> tuple[str, str] | None:
    if isinstance(value, str):
        return (path, "must not contain a NUL character (U+0000)") if "\x00" in value else None
    if isinstance(value, datetime):
        return None if EARLIEST <= value < LATEST else (
            path, f"must be from {EARLIEST.year} to {LATEST.year - 1}")
    if isinstance(value, dict):
        if any("\x00" in str(k) for k in value):
            return path or ".", "must not name a field with a NUL character (U+0000)"
        items: Any = ((f"{path}.{k}" if path else str(k), v) for k, v in value.items())
    elif isinstance(value, list):
        items = ((f"{path}[{i}]", v) for i, v in enumerate(value))
    else:
        return None
    return next((found for p, v in items if (found := _unstorable(v, p)) is not None), None)
