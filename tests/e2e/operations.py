"""Every operation of the schema as a request a client could send: a document and variables.

Required arguments get values of their type (the names a test passes in for accounts and
appeals, so the operation can reach its data); a result object selects `__typename`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
    is_leaf_type,
    is_non_null_type,
)

from api.graphql.schema import schema

SCALARS: dict[str, Any] = {
    "String": "x", "ID": "1", "Int": 1, "Float": 0.5, "Boolean": True, "JSON": {},
    "DateTime": "2026-03-02T10:00:00+03:00", "Date": "2026-03-02", "Decimal": "1",
}


@dataclass(frozen=True)
class Operation:
    """One root field of the schema as a request."""

    kind: str
    """query, mutation or subscription."""
    name: str
    document: str
    variables: dict[str, Any]


def operations(names: dict[str, str]) -> list[Operation]:
    """Every query, mutation and subscription; `names` gives values of arguments by name."""
    graphql_schema = schema._schema
    roots = (("query", graphql_schema.query_type), ("mutation", graphql_schema.mutation_type),
             ("subscription", graphql_schema.subscription_type))
    return [_operation(kind, name, field, names)
            for kind, root in roots if root is not None
            for name, field in root.fields.items()]


def _operation(kind: str, name: str, field: GraphQLField, names: dict[str, str]) -> Operation:
    required = {a: arg for a, arg in field.args.items() if is_non_null_type(arg.type)}
    declared = ", ".join(f"${a}: {arg.type}" for a, arg in required.items())
    passed = ", ".join(f"{a}: ${a}" for a in required)
    selection = "" if is_leaf_type(get_named_type(field.type)) else " { __typename }"
    document = (f"{kind}{f'({declared})' if declared else ''} "
                f"{{ {name}{f'({passed})' if passed else ''}{selection} }}")
    variables = {a: value(a, arg.type, names) for a, arg in required.items()}
    return Operation(kind, name, document, variables)


def value(name: str, type_: GraphQLInputType, names: dict[str, str]) -> Any:
    """A value of an input type; a String named in `names` takes the value given there."""
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLInputObjectType):
        return {f: value(f, field.type, names) for f, field in type_.fields.items()
                if is_non_null_type(field.type)}
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLScalarType):
        return names.get(name, SCALARS.get(type_.name, "x"))
    return [value(name, type_.of_type, names)]  # a list


def nested_fields(type_name: str) -> list[str]:
    """The fields of an object type (for the rights held on fields, e.g. Account.asOf)."""
    found = schema._schema.get_type(type_name)
    return list(found.fields) if isinstance(found, GraphQLObjectType) else []
