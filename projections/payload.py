"""An event's payload as clients read it: its own fields under camelCase names.

The reference (`camelized(payload(event))`, projections/base.py) turns every value into
builtins and renames every key of every nested value in Python, which costs as much as the rest
of a timeline row. For an event class whose field types msgspec writes with no key to rename
below the top level (scalars, enums, camel-named structs, sequences of those), only the
top-level names need renaming: renamed once per class, the values left for msgspec to write.
The JSON is the same; the NATS publisher (adapters/nats/bodies.py) checks it byte for byte.
"""

from __future__ import annotations

import enum
import types
import typing
from dataclasses import fields
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec

from projections.base import _camel, camelized, payload

_LEAVES = (str, int, float, bool, bytes, UUID, datetime, date, time, Decimal, type(None))
_SEQUENCES = (tuple, list, set, frozenset)
_NOT_PAYLOAD = frozenset({"originator_id", "originator_version", "originator_topic"})
_NAMES: dict[type[Any], dict[str, str] | None] = {}


def camel_payload(event: Any) -> dict[str, Any]:
    """The payload with camelCase keys, for msgspec to encode (`details`, message bodies)."""
    names = names_of(type(event))
    if names is None:
        result: dict[str, Any] = camelized(payload(event))
        return result
    return {names[k]: v for k, v in vars(event).items() if k in names}


def names_of(cls: type[Any]) -> dict[str, str] | None:
    """Each payload field's camelCase name in field order, or None for the reference path."""
    return _NAMES[cls] if cls in _NAMES else _NAMES.setdefault(cls, _top_level_names(cls))


def _top_level_names(cls: type[Any]) -> dict[str, str] | None:
    """Each payload field's camelCase name, or None when a value needs the reference path."""
    hints = typing.get_type_hints(cls)
    names = [f.name for f in fields(cls) if f.name not in _NOT_PAYLOAD]
    if not all(_plain(hints[name]) for name in names):
        return None
    return {name: _camel(name) for name in names}


def _plain(tp: Any) -> bool:
    """Whether msgspec writes a value of this type with no key the reference would rename."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Annotated:
        return _plain(args[0])
    if origin in (typing.Union, types.UnionType) or origin in _SEQUENCES:
        return all(_plain(a) for a in args if a is not Ellipsis)
    if origin is typing.Literal:
        return True
    if not isinstance(tp, type) or origin is not None:
        return False
    if issubclass(tp, msgspec.Struct):
        hints = typing.get_type_hints(tp)
        return all(_camel(n) == n for n in tp.__struct_encode_fields__) and all(
            _plain(hints[n]) for n in tp.__struct_fields__)
    return issubclass(tp, _LEAVES) or issubclass(tp, enum.Enum)
