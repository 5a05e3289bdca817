"""An estimate of how many objects an operation may resolve, checked before it runs.

Each field counts once per time it may be resolved: a list multiplies what is under it by
the `first` of the field above it (a connection's page size) or, without one, by
`LIST_ESTIMATE`. Fragments are followed, each at most once per path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
)

LIST_ESTIMATE = 50
"""Items assumed of a list that takes no `first` (an appeal's history, its timers)."""


class _Walk:
    def __init__(self, schema: GraphQLSchema, fragments: Mapping[str, FragmentDefinitionNode],
                 variables: Mapping[str, Any]) -> None:
        self.schema, self.fragments, self.variables = schema, fragments, variables

    def cost(self, selections: SelectionSetNode | None, parent: GraphQLNamedType | None,
             page: int | None = None, seen: frozenset[str] = frozenset()) -> int:
        total = 0
        for node in selections.selections if selections is not None else ():
            if isinstance(node, FieldNode):
                total += self.field(node, parent, page, seen)
            elif isinstance(node, InlineFragmentNode):
                cond = node.type_condition
                inner = self.schema.get_type(cond.name.value) if cond is not None else parent
                total += self.cost(node.selection_set, inner, page, seen)
            elif isinstance(node, FragmentSpreadNode) and node.name.value not in seen:
                fragment = self.fragments.get(node.name.value)
                if fragment is not None:
                    inner = self.schema.get_type(fragment.type_condition.name.value)
                    total += self.cost(fragment.selection_set, inner, page,
                                       seen | {node.name.value})
        return total

    def field(self, node: FieldNode, parent: GraphQLNamedType | None, page: int | None,
              seen: frozenset[str]) -> int:
        definition: GraphQLField | None = getattr(parent, "fields", {}).get(node.name.value)
        if definition is None:  # __typename, introspection, or unknown (reported elsewhere)
            return 1
        named = get_named_type(definition.type)
        if is_leaf_type(named):  # a scalar or enum, or a list of them: one value
            return 1
        first = self.first(node, definition)
        times = 1
        if isinstance(get_nullable_type(definition.type), GraphQLList):
            times, page = page or LIST_ESTIMATE, None
        inner = self.cost(node.selection_set, named, first if first is not None else page, seen)
        return times * (1 + inner)

    def first(self, node: FieldNode, definition: GraphQLField) -> int | None:
        """The page size a field asks for: its `first` argument, as given or by default; at
        least one (a negative one, refused later by its resolver, made the whole estimate
        negative and let the rest of the document through)."""
        if "first" not in definition.args:
            return None
        for argument in node.arguments or ():
            if argument.name.value == "first":
                value = argument.value
                if isinstance(value, IntValueNode):
                    return max(int(value.value), 1)
                if isinstance(value, VariableNode):
                    given = self.variables.get(value.name.value)
                    return max(given, 1) if isinstance(given, int) else LIST_ESTIMATE
        default = definition.args["first"].default_value
        return default if isinstance(default, int) else LIST_ESTIMATE


def cost_rule(max_cost: int, variables: Mapping[str, Any]) -> type[ValidationRule]:
    """A validation rule refusing operations estimated to resolve more than max_cost objects."""

    class CostLimit(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            context: ValidationContext = self.context
            fragments = {d.name.value: d for d in context.document.definitions
                         if isinstance(d, FragmentDefinitionNode)}
            root = context.schema.get_root_type(node.operation)
            cost = _Walk(context.schema, fragments, variables).cost(node.selection_set, root)
            if cost > max_cost:
                context.report_error(GraphQLError(
                    f"query too costly: about {cost} objects, at most {max_cost} allowed"
                    " (ask for fewer items with `first`)", node))

    return CostLimit
