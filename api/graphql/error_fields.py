"""Where in the request a GraphQL validation error points, as `input.channel`."""

from __future__ import annotations

import re
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    GraphQLError,
    Node,
    ObjectFieldNode,
    VariableNode,
    Visitor,
    visit,
)

_VARIABLE = re.compile(r"^Variable '\$(\w+)' has invalid value(?: at \.([\w.\[\]]+))?")
_REQUIRED = re.compile(r"required field '(\w+)'")


def field_of(error: GraphQLError, document: DocumentNode | None) -> str | None:
    """The dotted path of the offending input field, when the error lets us find it."""
    missing = _REQUIRED.search(error.message)
    path = _variable_path(error.message, document) or _node_path(error, document)
    if path is None:
        return None
    return f"{path}.{missing.group(1)}" if missing else path


def _variable_path(message: str, document: DocumentNode | None) -> str | None:
    match = _VARIABLE.match(message)
    if match is None:
        return None
    name = _argument_of_variable(document, match.group(1)) or match.group(1)
    return f"{name}.{match.group(2)}" if match.group(2) else name


def _argument_of_variable(document: DocumentNode | None, variable: str) -> str | None:
    if document is None:
        return None
    found: list[str] = []

    class Finder(Visitor):
        def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
            if isinstance(node.value, VariableNode) and node.value.name.value == variable:
                found.append(node.name.value)

    visit(document, Finder())
    return found[0] if found else None


def _node_path(error: GraphQLError, document: DocumentNode | None) -> str | None:
    if document is None or not error.nodes:
        return None
    target = error.nodes[0]
    found: list[str] = []

    class Finder(Visitor):
        def enter(self, node: Node, key: Any, parent: Any, path: Any, ancestors: Any) -> None:
            if node is target and not found:
                names = [a.name.value for a in [*ancestors, parent, node]
                         if isinstance(a, ArgumentNode | ObjectFieldNode)]
                found.append(".".join(names))

    visit(document, Finder())
    return found[0] if found and found[0] else None
