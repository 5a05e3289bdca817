"""The schema extension that stores the access record before personal data leaves the server.

After an operation (or each result of a subscription) it appends one PersonalDataAccessed per
account whose personal fields the result shows, group-committed into the account's audit
stream, and waits for it. If it cannot be stored in time, the result's data is withheld.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from graphql import GraphQLError, get_operation_ast
from strawberry.extensions import SchemaExtension

from adapters.personal_data import Reader
from api.graphql.context import Context

log = logging.getLogger("ledger.pd_audit")

AUDIT_FAILED = "AUDIT_FAILED"
"""The error code of a response whose personal data was withheld: no access record."""


class PersonalDataAudit(SchemaExtension):
    """Records the personal data an operation shows before the response is sent."""

    async def on_execute(self) -> AsyncIterator[None]:
        """Queries and mutations: record once the result is complete."""
        yield
        result = self.execution_context.result
        if result is not None:
            await self.record(result)

    async def on_stream_result(self, result: Any) -> AsyncIterator[None]:
        """Subscriptions: record each result before it is sent."""
        await self.record(result)
        yield

    async def record(self, result: Any) -> None:
        """Store what the result shows; withhold its data when that fails."""
        context = self.execution_context.context
        if not isinstance(context, Context):
            return
        reads = context.pd_reads.pop(self._operation_key(), None)
        if not reads or context.principal is None or context.purpose is None:
            return
        reader = Reader(
            actor=context.principal.subject, role=context.principal.role.value,
            purpose=context.purpose.text, request_id=context.request_id, api="graphql",
        )
        try:
            await context.services.audit.record_async(
                reader, reads, context.settings.pd_audit_timeout_seconds)
        except Exception:
            log.exception("access record not stored; personal data withheld",
                          extra={"request_id": context.request_id})
            result.data = None
            result.errors = [*(result.errors or []), GraphQLError(
                "personal data withheld: the access could not be recorded",
                extensions={"code": AUDIT_FAILED})]

    def _operation_key(self) -> int:
        """The key resolvers note reads under: the operation node being executed."""
        document = self.execution_context.graphql_document
        operation = None if document is None else get_operation_ast(
            document, self.execution_context.operation_name)
        return id(operation)
