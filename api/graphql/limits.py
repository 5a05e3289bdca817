"""GraphQL request limits: depth, tokens, aliases, estimated cost, introspection by role, and
a well-formed declared purpose (X-Purpose).

The limits come from the settings of the request's context (LEDGER_MAX_QUERY_*), so each
process applies its own configuration to the one schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

from graphql import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_validator

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
        rules: list[type[ASTValidationRule]] = [
            _depth_rule(settings.max_query_depth), _aliases_rule(settings.max_query_aliases),
            cost_rule(settings.max_query_cost, self.execution_context.variables or {}),
        ]
        principal = context.principal if isinstance(context, Context) else None
        if principal is None or not principal.may("introspection"):
            rules.append(NoSchemaIntrospectionCustomRule)
        if isinstance(context, Context) and context.purpose_error is not None:
            rules.append(refusal_rule(context.purpose_error))
        self.execution_context.validation_rules = (
            *self.execution_context.validation_rules, *rules)
        yield
