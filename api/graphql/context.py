"""The request context: who calls, and the few things every resolver does with the ledger."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

import anyio.to_thread
import msgspec
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException
from litestar.types import Scope
from strawberry.litestar.controller import BaseContext

from adapters.bootstrap import Services
from adapters.broadcast import LogBroadcaster
from adapters.pg_retry import on_live_connection
from adapters.projector import wait_for
from adapters.settings import Settings
from api.auth import InvalidTokenError, Principal, TokenKeys
from api.graphql.purpose import HEADER, declare_purpose
from domain.commands import Command
from domain.errors import LedgerError, ValidationError
from domain.ledger import Outcome
from domain.purpose import DeclaredPurpose

T = TypeVar("T")


class UnauthenticatedError(LedgerError):
    """No valid token came with the request."""

    code = "UNAUTHENTICATED"


class Context(BaseContext, kw_only=True):
    """What resolvers get: the services, the caller, and the request's id."""

    services: Services
    settings: Settings
    broadcaster: LogBroadcaster
    principal: Principal | None
    request_id: str
    connection_params: dict[str, Any] | None = None
    purpose: DeclaredPurpose | None = None
    """Why personal data is read (X-Purpose), and which accounts that covers; personal fields
    of the accounts it does not cover read `***` (api/graphql/personal.py)."""
    purpose_error: ValidationError | None = None
    """A malformed X-Purpose: the operation is refused before it runs (api/graphql/limits.py)."""
    pd_reads: dict[int, dict[str, set[str]]] = msgspec.field(default_factory=dict)
    """Per operation: account number -> personal-data fields shown (api/graphql/personal.py)."""

    def require(self, operation: str) -> Principal:
        """The caller, if allowed to call this operation (else UNAUTHENTICATED/FORBIDDEN)."""
        if self.principal is None:
            raise UnauthenticatedError("a bearer token is required")
        self.principal.check_may(operation)
        return self.principal

    async def execute(self, operation: str, command: Command) -> Outcome:
        """Run a command as the caller, through the group committer."""
        principal = self.require(operation)
        principal.check_channel(getattr(command, "channel", None))
        now = datetime.now(UTC)
        try:
            return await self.services.committer.execute_async(command, principal.subject, now)
        except ValidationError as error:  # the domain names fields of the command: the input's
            field = error.field if error.field.startswith("input") else f"input.{error.field}"
            raise ValidationError(error.message, field=field) from None

    async def read(self, query: Callable[..., T], *args: Any) -> T:
        """Run a read-model query on a pooled connection, off the event loop (on another one
        if the server had closed it: a read is safe to run again, adapters/pg_retry.py)."""
        return await anyio.to_thread.run_sync(
            on_live_connection, self.services.pool, lambda conn: query(conn, *args))

    async def wait(self, read_model: str, position: int) -> None:
        """Read-your-writes: wait until the read model has reached the position written."""
        timeout = self.settings.read_wait_seconds
        positions = self.services.positions
        if positions.follows(read_model):  # run here: woken by its projector
            if await positions.wait(read_model, position, timeout):
                return
            timeout = 0.0  # one look at the table, as another process may run it
        await anyio.to_thread.run_sync(
            partial(wait_for, self.services.pool, read_model, position, timeout)
        )


def bearer(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header."""
    if not header or not header.lower().startswith("bearer "):
        return None
    return header[7:].strip() or None


def make_context_getter(
    services: Services, settings: Settings, keys: TokenKeys, broadcaster: LogBroadcaster
) -> Callable[..., Any]:
    """A Litestar dependency that authenticates each HTTP request (401 without a token)."""

    async def get_context(scope: Scope) -> Context:
        connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
        websocket = scope["type"] == ScopeType.WEBSOCKET  # authenticated in on_ws_connect
        context = Context(
            services=services, settings=settings, broadcaster=broadcaster,
            principal=None if websocket else _principal(connection, keys),
            request_id=connection.headers.get("x-request-id") or uuid.uuid4().hex,
        )
        try:
            context.purpose = await declare_purpose(services, connection.headers.get(HEADER))
        except ValidationError as error:
            context.purpose_error = error
        return context

    return get_context


def _principal(request: ASGIConnection[Any, Any, Any, Any], keys: TokenKeys) -> Principal | None:
    token = bearer(request.headers.get("authorization"))
    if token is None:
        if _is_ide_page(request):
            return None  # the GraphiQL page itself holds no data; its queries need a token
        raise NotAuthorizedException("Authorization: Bearer <token> is required")
    try:
        return keys.verify(token)
    except InvalidTokenError as error:
        raise NotAuthorizedException(f"invalid token: {error}") from None


def _is_ide_page(request: ASGIConnection[Any, Any, Any, Any]) -> bool:
    accept = request.headers.get("accept", "")
    get = request.scope.get("method") == "GET"
    return get and "text/html" in accept and "query" not in request.query_params

