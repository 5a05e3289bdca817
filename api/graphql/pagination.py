"""Relay-style pagination: opaque cursors and page info."""

from __future__ import annotations

import base64
from datetime import datetime

import strawberry

from domain.errors import ValidationError

MAX_PAGE = 200


@strawberry.type(description="Where a page ends and whether there is more.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether another page follows.")
    end_cursor: str | None = strawberry.field(description="Pass as `after` for the next page.")


def page_size(first: int | None, default: int = 50) -> int:
    """The page size asked for, within 1..MAX_PAGE."""
    size = default if first is None else first
    if not 1 <= size <= MAX_PAGE:
        raise ValidationError(f"first must be between 1 and {MAX_PAGE}", field="first")
    return size


def encode(*parts: str) -> str:
    """An opaque cursor from its parts."""
    return base64.urlsafe_b64encode("|".join(parts).encode()).decode()


def decode(cursor: str, parts: int) -> list[str]:
    """The parts of a cursor this API made, or a VALIDATION error on `after`."""
    try:
        values = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
    except (ValueError, UnicodeDecodeError):
        values = []
    if len(values) != parts:
        raise ValidationError("after is not a cursor from this API", field="after")
    return values


def decode_position(cursor: str | None) -> int | None:
    """A timeline cursor: a log position."""
    if cursor is None:
        return None
    (value,) = decode(cursor, 1)
    if not (value.isascii() and value.isdigit()):  # "²" is a digit to str.isdigit
        raise ValidationError("after is not a cursor from this API", field="after")
    return int(value)


def decode_appeal(cursor: str | None) -> tuple[datetime, str] | None:
    """An appeals cursor: received-at and number of the last appeal seen."""
    if cursor is None:
        return None
    received, number = decode(cursor, 2)
    try:
        return datetime.fromisoformat(received), number
    except ValueError:
        raise ValidationError("after is not a cursor from this API", field="after") from None
