"""GraphQL request limits: depth, tokens, aliases, estimated cost, introspection by role, and
a well-formed declared purpose (X-Purpose).

The limits come from the settings of the request's context (LEDGER_MAX_QUERY_*), so each
process applies its own configuration to the one schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache, lru_cache
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    NoSchemaIntrospectionCustomRule,
    OperationDefinitionNode,
    OperationType,
    ValidationRule,
    validate,
)
from strawberry.extensions import ParserCache, SchemaExtension
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_validator
from strawberry.schema.schema import validate_document

from adapters.settings import Settings, load_settings
from api.graphql.context import Context
from api.graphql.cost import cost_rule
from api.graphql.purpose import refusal_rule


@cache
def _depth_rule(max_depth: int) -> type[ASTValidationRule]:
    return depth_validator(max_depth, None)


@cache
def _aliases_rule(max_aliases: int) -> type[ASTValidationRule]:
    return aliases_rule(max_aliases)


@cache
def _defaults() -> Settings:
    return load_settings()


class RequestLimits(SchemaExtension):
    """Adds the configured limits to every operation before it is parsed and validated."""

    def on_operation(self) -> Iterator[None]:
        """Limit tokens while parsing; depth, aliases, cost and introspection in validation."""
        context = self.execution_context.context
        settings = context.settings if isinstance(context, Context) else _defaults()
        self.execution_context.parse_options["max_tokens"] = settings.max_query_tokens
        static: list[type[ASTValidationRule]] = [
            _depth_rule(settings.max_query_depth), _aliases_rule(settings.max_query_aliases)]
        principal = context.principal if isinstance(context, Context) else None
        if principal is None or not principal.may("introspection"):
            static.append(NoSchemaIntrospectionCustomRule)
        self.execution_context.validation_rules = (
            *self.execution_context.validation_rules, *static)
        self._per_request: list[type[ASTValidationRule]] = [
            cost_rule(settings.max_query_cost, self.execution_context.variables or {})]
        if isinstance(context, Context) and context.purpose_error is not None:
            self._per_request.append(refusal_rule(context.purpose_error))
        if isinstance(context, Context) and context.websocket is None:  # strawberry sets it
            self._per_request.append(SubscriptionsOverWebSocket)
        yield

    def on_validate(self) -> Iterator[None]:
        """Validate here, so strawberry does not: the rules that depend only on the document
        and the role are remembered per document (they took half of a request's time on the
        event loop); the cost (by the variables) and the purpose are checked every time."""
        context = self.execution_context
        schema, document = context.schema._schema, context.graphql_document
        assert document is not None
        rules = tuple(context.validation_rules)
        errors = [] if _valid(schema, document, rules) else validate_document(
            schema, document, rules)
        context.pre_execution_errors = errors or validate(schema, document, self._per_request)
        yield


class SubscriptionsOverWebSocket(ValidationRule):
    """A subscription sent in an HTTP request is refused saying where subscriptions are
    served (it ran, and answered INTERNAL: "Cannot return null for non-nullable field")."""

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        """Report a subscription operation."""
        if node.operation == OperationType.SUBSCRIPTION:
            self.report_error(GraphQLError(
                "subscriptions are served over a WebSocket at /graphql (graphql-transport-ws),"
                " not in an HTTP request", node))


class ParsedDocuments(ParserCache):
    """Parsed documents kept per query text and token limit (strawberry's ParserCache): clients
    send the same few operations; a text over the limit raises, so it is refused every time."""

    def __init__(self) -> None:
        super().__init__(maxsize=512)


@lru_cache(maxsize=512)
def _valid(schema: GraphQLSchema, document: DocumentNode,
           rules: tuple[type[ASTValidationRule], ...]) -> bool:
    """Whether a document passes these rules; only the answer is kept, as errors are objects
    each response may change, and a refused document is validated again to report them."""
    return not validate_document(schema, document, rules)
