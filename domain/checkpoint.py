"""The ledger's own stream of checkpoints: Merkle roots over every stream's head, in the log.

A checkpoint travels like any event (to NATS, into exports), so a copy outside the database
can later show that the log's tail was cut.
"""

from __future__ import annotations

from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.identity import LEDGER_NAMESPACE

CHECKPOINT_STREAM_ID = uuid5(LEDGER_NAMESPACE, "ledger:checkpoints")
"""The one stream of checkpoints; no account number can map to it."""


class CheckpointsStarted(Aggregate.Created):
    """The stream of checkpoints was opened."""


class Checkpointed(Aggregate.Event):
    """Every stream's head up to a log position, summed up in one Merkle root."""

    root: str
    """The Merkle root over (stream id, head version, head hash) of every stream, in hex."""
    position: int
    """The last log position the heads include."""
    streams: int
    events: int
    """How many events the chain held up to that position."""


class Checkpoints(Aggregate):
    """The sequence of checkpoints; each covers more of the log than the one before."""

    class Started(CheckpointsStarted):
        """Stored as Checkpoints.Started."""

    class Checkpointed(Checkpointed):
        """Stored as Checkpoints.Checkpointed."""

    @staticmethod
    def create_id() -> UUID:
        """Always the same stream."""
        return CHECKPOINT_STREAM_ID

    @event(Started)
    def __init__(self) -> None:
        self.position = 0
        self.root = ""

    def record(self, *, root: str, position: int, streams: int, events: int) -> bool:
        """Record a checkpoint; False when it would cover nothing new."""
        if position <= self.position:
            return False
        self._checkpointed(root=root, position=position, streams=streams, events=events)
        return True

    @event(Checkpointed)
    def _checkpointed(self, *, root: str, position: int, streams: int, events: int) -> None:
        self.position = position
        self.root = root
