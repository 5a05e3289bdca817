"""The declared purpose of a request (X-Purpose, or `purpose` in connection_init), parsed and
scoped before anything runs; a malformed one refuses the whole operation (VALIDATION)."""

from __future__ import annotations

from functools import partial
from typing import Any

import anyio.to_thread
from graphql import ASTValidationRule, GraphQLError, ValidationRule

from adapters.bootstrap import Services
from domain.errors import ValidationError
from domain.purpose import (
    AppealPurpose,
    ComplaintReviewPurpose,
    DeclaredPurpose,
    declare,
    parse_purpose,
)

HEADER = "X-Purpose"


async def declare_purpose(
    services: Services, text: str | None, field: str = HEADER
) -> DeclaredPurpose | None:
    """The declared purpose, with the account it covers; None when none was declared.

    Raises ValidationError (naming `field`) for a malformed one."""
    if text is None or not text.strip():
        return None
    purpose = parse_purpose(text, field)
    locate = services.ledger.numbers.locate
    if isinstance(purpose, AppealPurpose | ComplaintReviewPurpose):  # a database lookup
        return await anyio.to_thread.run_sync(partial(declare, purpose, locate))
    return declare(purpose, locate)


def refusal_rule(error: ValidationError) -> type[ASTValidationRule]:
    """A validation rule that refuses the operation for a malformed purpose: nothing runs."""

    class MalformedPurpose(ValidationRule):
        def enter_document(self, *_: Any) -> None:
            self.report_error(GraphQLError(
                error.message, extensions={"code": error.code, "field": error.field}))

    return MalformedPurpose
