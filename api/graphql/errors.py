"""Errors as API.md wants them: a message and `extensions.code` (and `field` for VALIDATION)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any, TypeVar

import msgspec
import psycopg
from graphql import DocumentNode, GraphQLError
from strawberry.extensions import SchemaExtension

from api.graphql.error_fields import field_of
from domain.errors import LedgerError, ValidationError

T = TypeVar("T")
_PATH = re.compile(r" - at `\$\.?([^`]*)`$")
log = logging.getLogger("ledger.graphql")


def camel(path: str) -> str:
    """input.received_at -> input.receivedAt: the names the client sent."""
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), path)


def convert(value: Any, into: type[T], argument: str = "input") -> T:
    """Validate a GraphQL input into a command; a VALIDATION error names the field."""
    try:
        return msgspec.convert(value, into, from_attributes=True)
    except msgspec.ValidationError as error:
        text = str(error)
        match = _PATH.search(text)
        where = camel(match.group(1)) if match else ""
        field = f"{argument}.{where}" if where else argument
        message = _PATH.sub("", text)
        raise ValidationError(f"{field}: {message}", field=field) from None


class ErrorCodes(SchemaExtension):
    """Give every error its code: domain errors keep theirs, GraphQL's own are VALIDATION."""

    def on_operation(self) -> Iterator[None]:
        yield
        self._give_codes(self.execution_context.result)

    def on_stream_result(self, result: Any) -> Iterator[None]:
        """Each result of a subscription gets its codes before it is sent."""
        self._give_codes(result)
        yield

    def _give_codes(self, result: Any) -> None:
        for error in (result.errors or []) if result is not None else []:
            extensions = dict(error.extensions or {})
            extensions.setdefault("code", _code_of(error))
            field = _field_of(error, self.execution_context.graphql_document)
            if extensions["code"] == "VALIDATION" and field:
                extensions.setdefault("field", field)
            error.extensions = extensions
            if isinstance(error.original_error, psycopg.DataError):
                error.message = refused_value(error.original_error)
            if extensions["code"] == "INTERNAL":
                log.error("internal error", exc_info=error.original_error)
                error.message = "internal error; it has been logged"


def refused_value(error: psycopg.DataError) -> str:
    """An argument the database cannot take (a NUL character, a number out of range): the
    caller's input, not a fault of the service."""
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return f"a value of this request cannot be used: {reason}"


def _code_of(error: GraphQLError) -> str:
    original = error.original_error
    if isinstance(original, LedgerError):
        return original.code
    if isinstance(original, psycopg.DataError):
        return "VALIDATION"
    return "VALIDATION" if original is None or isinstance(original, GraphQLError) else "INTERNAL"


def _field_of(error: GraphQLError, document: DocumentNode | None) -> str | None:
    if isinstance(error.original_error, ValidationError):
        return error.original_error.field
    return field_of(error, document)
