"""The per-token rate limit and the query cost estimate."""

from __future__ import annotations

import pytest
from graphql import parse, validate

from api.graphql.cost import cost_rule
from api.graphql.schema import schema
from api.rate_limit import TokenBuckets

pytestmark = pytest.mark.unit


class TestTokenBuckets:
    def test_a_burst_is_allowed_then_the_rate(self) -> None:
        buckets = TokenBuckets(rate=2.0, burst=3)

        waits = [buckets.take("t", now=0.0) for _ in range(4)]

        assert waits[:3] == [0.0, 0.0, 0.0]
        assert waits[3] == pytest.approx(0.5)
        assert buckets.take("t", now=0.5) == 0.0

    def test_each_token_has_its_own_bucket(self) -> None:
        buckets = TokenBuckets(rate=1.0, burst=1)

        assert buckets.take("a", now=0.0) == 0.0
        assert buckets.take("a", now=0.0) > 0
        assert buckets.take("b", now=0.0) == 0.0

    def test_the_least_recent_tokens_are_forgotten(self) -> None:
        buckets = TokenBuckets(rate=1.0, burst=1, capacity=2)
        for key in ("a", "b", "c"):
            buckets.take(key, now=0.0)

        assert buckets.take("a", now=0.0) == 0.0  # forgotten: a full bucket again


def cost_errors(query: str, max_cost: int, variables: dict[str, object] | None = None) -> list[str]:
    errors = validate(schema._schema, parse(query), [cost_rule(max_cost, variables or {})])
    return [e.message for e in errors]


class TestQueryCost:
    def test_a_page_counts_its_size_times_what_each_item_selects(self) -> None:
        query = "{ appeals(first: 10) { edges { node { number subject } } } }"

        assert cost_errors(query, 41) == []  # appeals + 10 × (edge + node + 2 fields)
        assert cost_errors(query, 40) == [
            "query too costly: about 41 objects, at most 40 allowed"
            " (ask for fewer items with `first`)"]

    def test_a_page_size_in_a_variable_counts(self) -> None:
        query = "query($n: Int!) { appeals(first: $n) { edges { node { number } } } }"

        assert cost_errors(query, 500, {"n": 200}) != []
        assert cost_errors(query, 500, {"n": 20}) == []

    def test_a_list_without_a_page_size_counts_fifty(self) -> None:
        query = '{ appeal(number: "2026-000001") { history { eventType at } } }'

        assert cost_errors(query, 151) == []
        assert cost_errors(query, 150) != []
