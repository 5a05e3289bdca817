"""`ledger export` as an audited access: the accounts taken away are recorded before any output.

The export holds only ciphertext, but carrying an account's events out of the ledger is an
access the auditor must see. The file is first spooled; once one PersonalDataAccessed per
exported account is stored, it is copied out. If the records cannot be stored, nothing is
written.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import IO
from uuid import UUID

from eventsourcing.persistence import Mapper
from psycopg import sql

from adapters.bulk_access import account_numbers, fields_of, record_all
from adapters.export import export
from adapters.export_format import ExportedEvent, Trailer
from adapters.export_signing import ExportSigner
from adapters.personal_data import AccessRecorder, Reader

SPOOL_IN_MEMORY = 32 * 2**20
"""Bytes of the export held in memory before the spool moves to a temporary file."""


class AccessNotRecordedError(Exception):
    """The accesses of an export could not be stored: nothing was written."""


class AuditedExport:
    """An export of one stream or all, recorded per account before it is written out."""

    def __init__(self, recorder: AccessRecorder, reader: Reader) -> None:
        self.recorder, self.reader = recorder, reader
        self.recorded = 0
        self._topics: defaultdict[UUID, set[str]] = defaultdict(set)

    def run(
        self, url: str, table: sql.Composable, mapper: Mapper[UUID], out: IO[bytes],
        stream_id: UUID | None = None, start: datetime | None = None,
        end: datetime | None = None, progress: Callable[[int], object] | None = None,
        signer: ExportSigner | None = None,
    ) -> Trailer:
        """Export into a spool, record the accounts in it, then copy it to `out`."""
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
            trailer = export(url, table, mapper, spool, stream_id, start, end, progress,
                             on_lines=self._note, signer=signer)
            numbers = account_numbers(url, table, mapper, self._topics)
            reads = {numbers[sid]: fields_of(topics)
                     for sid, topics in self._topics.items() if sid in numbers}
            try:
                self.recorded = record_all(self.recorder, self.reader, reads)
            except Exception as error:
                raise AccessNotRecordedError(f"{type(error).__name__}: {error}") from error
            spool.seek(0)
            shutil.copyfileobj(spool, out)
        return trailer

    def _note(self, lines: list[ExportedEvent]) -> None:
        for line in lines:
            self._topics[line.stream_id].add(line.topic)
