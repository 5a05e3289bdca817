"""create_app(): Litestar serving the GraphQL schema, health and metrics."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import psycopg
from litestar import Litestar, Request, get, post
from litestar.exceptions import NotAuthorizedException
from litestar.response import Response
from strawberry.exceptions import ConnectionRejectionError
from strawberry.litestar import make_graphql_controller
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from adapters.bootstrap import Services
from adapters.projector import position_of
from adapters.settings import Settings
from api.auth import InvalidTokenError, Principal, TokenKeys
from api.graphql.context import Context, bearer, make_context_getter
from api.graphql.errors import refused_value
from api.graphql.purpose import HEADER, declare_purpose
from api.graphql.schema import schema
from api.rate_limit import rate_limit
from api.reports import report_route
from api.webhooks import receive_receipt
from domain.errors import LedgerError, ValidationError

if TYPE_CHECKING:
    from strawberry.litestar.controller import GraphQLController as Base
else:
    Base = object


def create_app(services: Services, settings: Settings, keys: TokenKeys) -> Litestar:
    """The HTTP application: /graphql (GraphiQL in a browser), /health, /metrics."""
    getter = make_context_getter(services, settings, keys, services.start_broadcast())
    controller = authenticated_websockets(make_graphql_controller(
        schema, path="/graphql", context_getter=getter,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
    ), keys)

    def positions() -> dict[str, Any]:
        head = services.ledger.recorder.max_notification_id() or 0
        read_models = {name: position_of(services.pool, name) for name in services.projections}
        return {"head": head, "projections": read_models}

    @get("/health", sync_to_thread=True)
    def health() -> dict[str, Any]:
        """Liveness and how far each read model lags the log; needs no token."""
        return {"status": "ok", **positions()}

    @get("/metrics", sync_to_thread=True, media_type="text/plain")
    def metrics(request: Request[Any, Any, Any]) -> str:
        """Prometheus text: the log head and each read model's position."""
        _authenticate(request, keys, "metrics")
        state = positions()
        lines = [f"ledger_log_head {state['head']}"]
        lines += [f'ledger_projection_position{{name="{n}"}} {p}'
                  for n, p in state["projections"].items()]
        return "\n".join(lines) + "\n"

    @post("/webhooks/notifications/{gateway:str}", status_code=200)
    async def notification_receipt(request: Request[Any, Any, Any], gateway: str) -> Response[
            Any]:
        """A gateway's delivery receipt, stored as an event of its notification (api/webhooks)."""
        principal = _authenticate(request, keys, "notificationReceipt")
        return await receive_receipt(services, principal.subject, gateway, await request.body())

    report = report_route(services, lambda request: _authenticate(request, keys, "subjectReport"),
                          settings.pd_audit_timeout_seconds)
    return Litestar(
        route_handlers=[controller, health, metrics, report, notification_receipt],
        exception_handlers={NotAuthorizedException: _unauthorized, LedgerError: _refused,
                            psycopg.DataError: _bad_value},
        logging_config=None,
        middleware=[rate_limit(settings.rate_limit_per_second, settings.rate_limit_burst)],
        request_max_body_size=settings.max_body_bytes,
    )


def authenticated_websockets(base: type[Base], keys: TokenKeys) -> type[Base]:
    """Subscriptions authenticate in connection_init: {"authorization": "Bearer <token>"}."""

    class Controller(base):  # type: ignore[valid-type,misc]
        async def on_ws_connect(self, context: Context) -> dict[str, object] | None:
            params = context.connection_params or {}
            token = bearer(str(params.get("authorization") or params.get("Authorization") or ""))
            try:
                context.principal = keys.verify(token or "")
            except InvalidTokenError as error:
                raise ConnectionRejectionError({"message": f"unauthenticated: {error}"}) from None
            try:  # personal data in subscriptions: {"purpose": "appeal:2026-000123"}
                context.purpose = await declare_purpose(
                    context.services, str(params.get("purpose") or params.get(HEADER) or ""),
                    "purpose")
            except ValidationError as error:
                raise ConnectionRejectionError({"message": error.message}) from None
            return None

    return Controller


def _authenticate(
    request: Request[Any, Any, Any], keys: TokenKeys, operation: str
) -> Principal:
    token = bearer(request.headers.get("authorization"))
    if token is None:
        raise NotAuthorizedException("Authorization: Bearer <token> is required")
    try:
        principal = keys.verify(token)
    except InvalidTokenError as error:
        raise NotAuthorizedException(f"invalid token: {error}") from None
    principal.check_may(operation)
    return principal


def _unauthorized(_: Request[Any, Any, Any], error: NotAuthorizedException) -> Response[Any]:
    return Response(
        {"errors": [{"message": error.detail, "extensions": {"code": "UNAUTHENTICATED"}}]},
        status_code=401, headers={"WWW-Authenticate": "Bearer"},
    )


_STATUS = {"VALIDATION": 400, "FORBIDDEN": 403, "NOT_FOUND": 404, "INVALID_TRANSITION": 409,
           "CONFLICT": 409}


def _refused(_: Request[Any, Any, Any], error: LedgerError) -> Response[Any]:
    """A domain refusal outside GraphQL (reports, webhooks): its code, and its HTTP status."""
    extensions: dict[str, str] = {"code": error.code}
    if isinstance(error, ValidationError):
        extensions["field"] = error.field
    return Response({"errors": [{"message": error.message, "extensions": extensions}]},
                    status_code=_STATUS.get(error.code, 500))


def _bad_value(_: Request[Any, Any, Any], error: psycopg.DataError) -> Response[Any]:
    return Response({"errors": [{"message": refused_value(error),
                                 "extensions": {"code": "VALIDATION"}}]}, status_code=400)
