"""Personal data (152-ФЗ): which stored fields hold it, and what an erased field reads as.

Each event class names its personal-data fields in `personal_fields`; the mapper stores those
encrypted with the account's data key. Once the key is destroyed (erasure), every such field
reads as an erased marker that keeps its declared type valid, wherever it is read from.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from datetime import datetime
from types import NoneType, UnionType
from typing import Any

import msgspec
from eventsourcing.domain import Aggregate

from domain.values import ERASED


class PersonalDataErased(Aggregate.Event):
    """The account's data key was destroyed: its personal data now reads as erased."""

    ground: str
    """The legal ground, e.g. "152-ФЗ ст. 21 ч. 5: consent withdrawn"."""
    at: datetime
    by: str
    personal_fields: typing.ClassVar[tuple[str, ...]] = ()


def personal_fields(cls: type[Any]) -> tuple[str, ...]:
    """The fields of an event class that hold personal data (none unless it says so)."""
    fields: tuple[str, ...] = getattr(cls, "personal_fields", ())
    return fields


def erased_value(hint: Any) -> Any:
    """The erased marker of a declared type: "[erased]" for text, the same for every text
    field of a struct; None for an optional field of any other type."""
    hint = _strip(hint)
    if hint is str:
        return ERASED
    if isinstance(hint, type) and issubclass(hint, msgspec.Struct):
        hints = typing.get_type_hints(hint)
        return hint(**{name: erased_value(hints[name]) for name in hint.__struct_fields__})
    args = typing.get_args(hint)
    if _is_union(hint) and NoneType in args:
        inner = [a for a in args if a is not NoneType]
        return erased_value(inner[0]) if len(inner) == 1 and _erasable(inner[0]) else None
    raise TypeError(f"no erased marker for personal field of type {hint!r}")


def _erasable(hint: Any) -> bool:
    try:
        erased_value(hint)
    except TypeError:
        return False
    return True


def _strip(hint: Any) -> Any:
    """Annotated[T, ...] -> T."""
    while typing.get_origin(hint) is typing.Annotated:
        hint = typing.get_args(hint)[0]
    return hint


def _is_union(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, UnionType)


def erased_fields(cls: type[Any]) -> dict[str, Any]:
    """Each personal field of an event class with its erased marker."""
    hints = typing.get_type_hints(cls)
    return {name: erased_value(hints[name]) for name in personal_fields(cls)}


def _event_classes(root: type[Any]) -> Iterator[type[Any]]:
    for sub in root.__subclasses__():
        yield sub
        yield from _event_classes(sub)


_BY_TYPE_NAME: dict[str, type[Any] | None] = {}


def _scan_event_classes() -> None:
    for cls in _event_classes(Aggregate.Event):
        name = cls.__qualname__.rsplit(".", 1)[-1]
        if personal_fields(cls) or name not in _BY_TYPE_NAME:
            _BY_TYPE_NAME[name] = cls if personal_fields(cls) else None


def _class_of(event_type: str) -> type[Any] | None:
    """The class of a stored type name that has personal fields (None if it has none).

    Event classes are found as subclasses; a name not seen yet looks them up again, so
    classes imported later are found too."""
    if event_type not in _BY_TYPE_NAME:
        _scan_event_classes()
    return _BY_TYPE_NAME.get(event_type)


def personal_fields_by_type(event_type: str) -> tuple[str, ...]:
    """The personal fields of a stored event type by its short name, e.g. AppealRegistered."""
    cls = _class_of(event_type)
    return () if cls is None else personal_fields(cls)


def erased_by_type(event_type: str) -> dict[str, Any]:
    """Each personal field of a stored event type with its erased marker."""
    cls = _class_of(event_type)
    return {} if cls is None else erased_fields(cls)


def personal_event_types() -> tuple[str, ...]:
    """The short names of every stored event type with personal fields."""
    _scan_event_classes()
    return tuple(sorted(n for n, cls in _BY_TYPE_NAME.items() if cls is not None))
