"""The declared purpose of a request (X-Purpose, or `purpose` in connection_init), parsed and
scoped before anything runs; a malformed one refuses the whole operation (VALIDATION)."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Any

import anyio.to_thread
from graphql import ASTValidationRule, GraphQLError, ValidationRule

from adapters.bootstrap import Services
from adapters.pg_retry import on_live_connection
from domain.errors import ValidationError
from domain.purpose import DeclaredPurpose, Purpose, declare, parse_purpose
from projections.contact_links import linked_streams

HEADER = "X-Purpose"


async def declare_purpose(
    services: Services, text: str | None, field: str = HEADER
) -> DeclaredPurpose | None:
    """The declared purpose, with the account it covers; None when none was declared.

    Raises ValidationError (naming `field`) for a malformed one."""
    if text is None or not text.strip():
        return None
    purpose = parse_purpose(text, field)
    declared = declare(purpose, lambda _: None)
    if declared.streams is None:
        return declared
    return await anyio.to_thread.run_sync(partial(_confined, services, purpose))


def _confined(services: Services, purpose: Purpose) -> DeclaredPurpose:
    """A confined purpose's account (an appeal's is looked up), and the unidentified contacts
    linked to it: once linked, their data is the client's (projections/contact_links.py)."""
    declared = declare(purpose, services.ledger.numbers.locate)
    assert declared.streams is not None
    if not declared.streams:
        return declared
    linked = on_live_connection(services.pool,
                                lambda conn: linked_streams(conn, declared.streams or set()))
    return replace(declared, streams=declared.streams | linked)


def refusal_rule(error: ValidationError) -> type[ASTValidationRule]:
    """A validation rule that refuses the operation for a malformed purpose: nothing runs."""

    class MalformedPurpose(ValidationRule):
        def enter_document(self, *_: Any) -> None:
            self.report_error(GraphQLError(
                error.message, extensions={"code": error.code, "field": error.field}))

    return MalformedPurpose
