"""Bringing the cached aggregates of a whole batch up to date with one read of the store.

`Repository.get` fast-forwards a cached aggregate with one query per aggregate: in a group
commit of N commands that is N round trips before the one insert, most of the batch's time.
`load_fresh` does the same fast-forward for many aggregates with one query, under the same
per-aggregate locks, and returns what `Repository.get` would: a deep copy of the current state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from copy import deepcopy
from datetime import datetime
from enum import Enum
from typing import Any, Protocol, cast
from uuid import UUID

from eventsourcing.application import Repository
from eventsourcing.persistence import Mapper, StoredEvent

_IMMUTABLE = frozenset({UUID, datetime, str, int, float, bool, type(None)})


class ReadsManyStreams(Protocol):
    """A recorder that reads the events of many streams after given versions in one query."""

    def select_events_after(self, versions: Mapping[UUID, int]) -> Sequence[StoredEvent]:
        """Events of each stream with a version above the given one, in version order."""


def many_streams(repository: Repository[UUID], recorder: object) -> ReadsManyStreams | None:
    """The recorder, if `load_fresh` gives what `get` would with it: a fast-forwarded cache, no
    snapshots, and a recorder that reads many streams at once."""
    if repository.cache is None or not repository.fastforward \
            or repository.snapshot_store is not None or not _reads_many(type(recorder)):
        return None
    return cast(ReadsManyStreams, recorder)


_READS_MANY: dict[type, bool] = {}


def _reads_many(recorder_type: type) -> bool:
    """Whether a recorder class reads many streams (a Protocol check is slow on Python 3.11)."""
    if recorder_type not in _READS_MANY:
        _READS_MANY[recorder_type] = callable(getattr(recorder_type, "select_events_after", None))
    return _READS_MANY[recorder_type]


def load_fresh(
    repository: Repository[UUID], recorder: ReadsManyStreams, mapper: Mapper[UUID],
    ids: Iterable[UUID],
) -> dict[UUID, Any]:
    """The current state of each aggregate (None if it has no events), as `get` gives it."""
    cache_ = repository.cache
    assert cache_ is not None
    cached: dict[UUID, Any] = {}
    for aggregate_id in dict.fromkeys(ids):
        try:
            cached[aggregate_id] = cache_.get(aggregate_id)
        except KeyError:
            cached[aggregate_id] = None
    after = {i: 0 if a is None else a.version for i, a in cached.items()}
    new_events: dict[UUID, list[Any]] = {i: [] for i in cached}
    for stored in recorder.select_events_after(after):
        event = mapper.to_domain_event(stored)
        new_events[event.originator_id].append(event)
    return {i: _fast_forward(repository, i, a, new_events[i]) for i, a in cached.items()}


def _fast_forward(
    repository: Repository[UUID], aggregate_id: UUID, aggregate: Any, events: list[Any]
) -> Any:
    if aggregate is None:
        for event in events:
            aggregate = event.mutate(aggregate)
        if aggregate is not None:
            assert repository.cache is not None
            repository.cache.put(aggregate_id, aggregate)
        return _copy(aggregate)
    lock = repository._use_fastforward_lock(aggregate_id)
    try:
        with lock:  # another thread may have moved it on since the read: skip what it applied
            for event in events:
                if event.originator_version > aggregate.version:
                    aggregate = event.mutate(aggregate)
            return _copy(aggregate)
    finally:
        repository._disuse_fastforward_lock(aggregate_id)


def _copy(aggregate: Any) -> Any:
    """`deepcopy`, sharing the aggregate's own immutable attributes (ids, instants, numbers)
    instead of rebuilding them: a third of the time for an Account."""
    if aggregate is None:
        return None
    memo = {id(v): v for v in vars(aggregate).values()
            if type(v) in _IMMUTABLE or isinstance(v, Enum)}
    return deepcopy(aggregate, memo)
