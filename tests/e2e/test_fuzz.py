"""Generated GraphQL documents (hypothesis-graphql, the engine schemathesis uses for GraphQL)
never get a 500, and never show personal data to a caller without a declared purpose."""

from __future__ import annotations

import secrets
from datetime import UTC
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema, nodes

from api.auth import Role
from api.graphql.schema import schema
from tests.e2e.conftest import LedgerClient, account_number

pytestmark = pytest.mark.e2e

SDL = str(schema)
MARKER = f"FUZZ-{secrets.token_hex(6)}"
"""Written into personal fields of an appeal: it must never come back without a purpose."""
SCALARS: dict[str, st.SearchStrategy[Any]] = {
    "DateTime": st.datetimes(timezones=st.just(UTC)).map(lambda d: nodes.String(d.isoformat())),
    "Date": st.dates().map(lambda d: nodes.String(d.isoformat())),
    "Decimal": st.decimals(allow_nan=False, allow_infinity=False, places=2).map(
        lambda d: nodes.String(str(d))),
    "JSON": st.just(nodes.String("{}")),
}
DOCUMENTS = st.one_of(
    from_schema(SDL, custom_scalars=SCALARS),
    from_schema(SDL, custom_scalars=SCALARS, mode=Mode.NEGATIVE),
)
FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@pytest.fixture(scope="module")
def marked(ledger: LedgerClient) -> str:
    """An appeal whose personal fields hold MARKER, newest of all (first in `appeals`)."""
    appeal = ledger.register(account_number(), subject=f"{MARKER} тема", text=f"{MARKER} текст",
                             contact={"name": MARKER, "phone": MARKER})
    number: str = appeal["number"]
    return number


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.AUDITOR, Role.ADMIN],
                         ids=lambda r: r.value)
@FUZZ
@given(document=DOCUMENTS)
def test_no_document_gets_a_500_or_unmasked_personal_data(
    ledger: LedgerClient, marked: str, role: Role, document: str
) -> None:
    response = ledger.http.post("/graphql", json={"query": document},
                                headers={"Authorization": f"Bearer {ledger.token(role)}"})

    assert response.status_code < 500, response.text
    assert MARKER not in response.text, document


def test_the_marker_is_within_reach_of_a_generated_listing(
    ledger: LedgerClient, marked: str
) -> None:
    listing = "{ appeals { edges { node { number subject contact { name } } } } }"

    masked = ledger.gql(listing, purpose=None)
    shown = ledger.gql(listing)

    assert marked in str(masked.body) and MARKER not in str(masked.body)
    assert MARKER in str(shown.body)
