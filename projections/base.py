"""What every read model is: a name, its tables, and how one event changes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol

import msgspec
from psycopg import Cursor

_OMITTED = frozenset({"originator_id", "originator_version", "originator_topic"})


@dataclass(frozen=True)
class LoggedEvent:
    """A domain event as the log delivers it: its position and its account's number."""

    position: int
    event: Any
    account_number: str

    @property
    def type(self) -> str:
        """The stored event's short type name, e.g. AppealAnswered."""
        return event_type(self.event)


class Projection(Protocol):
    """A read model: applies events in log order inside the runner's transaction."""

    name: str

    @property
    def tables(self) -> tuple[str, ...]:
        """The tables it owns, emptied by a rebuild (read-only, so a literal tuple fits)."""

    def apply(self, cur: Cursor[Any], logged: LoggedEvent) -> None:
        """Change the read model's tables for one event."""


def event_type(event: Any) -> str:
    """The stored event's short type name, e.g. AppealAnswered (also the NATS subject token)."""
    cls = type(event)
    name = _TYPE_NAMES.get(cls)
    if name is None:  # asked several times per event in replays: remembered per class
        name = _TYPE_NAMES[cls] = cls.__qualname__.rsplit(".", 1)[-1]
    return name


_TYPE_NAMES: dict[type[Any], str] = {}


def payload(event: Any) -> dict[str, Any]:
    """The event's own fields as JSON-ready builtins, for `details` columns and messages."""
    fields = {k: v for k, v in vars(event).items() if k not in _OMITTED}
    result: dict[str, Any] = msgspec.to_builtins(fields)
    return result


def event_time(event: Any) -> datetime:
    """When the event happened in the world (not when it was stored, unless that is all)."""
    for attr in ("occurred_at", "received_at", "at", "timestamp"):
        value = getattr(event, attr, None)
        if isinstance(value, datetime):
            return value
    raise ValueError(f"{event_type(event)} carries no time")


def camelized(value: Any) -> Any:
    """The same JSON with camelCase keys, as clients read it (GraphQL details, NATS bodies)."""
    if isinstance(value, dict):  # scalars are not recursed into: replays camelize millions
        return {_camel(k): camelized(v) if isinstance(v, (dict, list)) else v
                for k, v in value.items()}
    if isinstance(value, list):
        return [camelized(v) if isinstance(v, (dict, list)) else v for v in value]
    return value


@lru_cache(maxsize=4096)
def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)
