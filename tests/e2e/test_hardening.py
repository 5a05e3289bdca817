"""The request limits, token expiry and key rotation, on a server of their own with small
limits and a rotated signing key (the previous key still accepted)."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator

import jwt
import pytest

from adapters.embedded import free_port
from api.auth import Role, TokenKeys
from tests.e2e.conftest import MASTER_KEY, LedgerClient, served

pytestmark = pytest.mark.e2e

OLD_KEY, NEW_KEY = secrets.token_urlsafe(48), secrets.token_urlsafe(48)
LIMITS = {"MAX_QUERY_DEPTH": "3", "MAX_QUERY_TOKENS": "120", "MAX_QUERY_ALIASES": "3",
          "MAX_QUERY_COST": "300", "MAX_BODY_BYTES": "4096", "RATE_LIMIT_PER_SECOND": "2",
          "RATE_LIMIT_BURST": "5"}


@pytest.fixture(scope="module")
def limited(
    e2e_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LedgerClient]:
    """`ledger serve` with small limits, signing with a new key and accepting the old one."""
    folder = tmp_path_factory.mktemp("ledger-limited")
    env = os.environ | {f"LEDGER_{k}": v for k, v in LIMITS.items()} | {
        "LEDGER_DATABASE_URL": e2e_database_url, "LEDGER_SECRET_KEY": NEW_KEY,
        "LEDGER_MASTER_KEY": MASTER_KEY,
        "LEDGER_PREVIOUS_SECRET_KEYS": OLD_KEY, "LEDGER_DATA_DIR": str(folder / "data"),
        "LEDGER_PORT": str(free_port()), "LEDGER_NATS_URL": "nats://127.0.0.1:1",
        "LEDGER_CLOCK_INTERVAL_SECONDS": "3600"}
    with served(env, folder / "server.log") as client:
        yield client


def fresh(client: LedgerClient, role: Role = Role.OPERATOR, key: str = NEW_KEY) -> str:
    """A token of its own (its own rate-limit bucket)."""
    return TokenKeys(key).issue(role, f"limits-{secrets.token_hex(4)}", 600)


class TestQueryLimits:
    def test_a_query_deeper_than_allowed_is_refused(self, limited: LedgerClient) -> None:
        deep = '{ account(number: "1234567") { timeline { edges { node { summary } } } } }'
        shallow = "{ appeals(first: 1) { edges { node { number } } } }"

        refused = limited.gql(deep, token=fresh(limited))

        assert "exceeds maximum operation depth" in refused.error["message"]
        assert limited.gql(shallow, token=fresh(limited)).data is not None

    def test_too_many_tokens_are_refused(self, limited: LedgerClient) -> None:
        query = "{ " + " ".join(["__typename"] * 130) + " }"

        answer = limited.gql(query, token=fresh(limited))
        again = limited.gql(query, token=fresh(limited))  # parsed documents are kept

        assert "more than 120 tokens" in answer.error["message"]
        assert "more than 120 tokens" in again.error["message"]

    def test_too_many_aliases_are_refused(self, limited: LedgerClient) -> None:
        query = "{ " + " ".join(f"a{i}: __typename" for i in range(4)) + " }"

        answer = limited.gql(query, token=fresh(limited))

        assert "4 aliases found. Allowed: 3" in answer.error["message"]

    def test_a_query_costlier_than_allowed_is_refused(self, limited: LedgerClient) -> None:
        costly = "{ appeals(first: 200) { edges { node { number } } } }"
        cheap = "{ appeals(first: 20) { edges { node { number } } } }"

        refused = limited.gql(costly, token=fresh(limited))

        assert "query too costly" in refused.error["message"]
        assert limited.gql(cheap, token=fresh(limited)).data is not None

    def test_the_same_document_is_costed_by_its_variables_every_time(
        self, limited: LedgerClient
    ) -> None:
        query = "query($n: Int!) { appeals(first: $n) { edges { node { number } } } }"

        cheap = limited.gql(query, {"n": 20}, token=fresh(limited))
        costly = limited.gql(query, {"n": 200}, token=fresh(limited))
        cheap_again = limited.gql(query, {"n": 20}, token=fresh(limited))

        assert cheap.data is not None and cheap_again.data is not None
        assert "query too costly" in costly.error["message"]

    def test_a_purpose_is_checked_on_a_document_validated_before(
        self, limited: LedgerClient
    ) -> None:
        query = "{ appeals(first: 1) { edges { node { number } } } }"

        allowed = limited.gql(query, token=fresh(limited))
        refused = limited.gql(query, token=fresh(limited), purpose="no-such-kind:1")

        assert allowed.data is not None
        assert refused.error["extensions"]["code"] == "VALIDATION"

    def test_a_body_larger_than_allowed_gets_413(self, limited: LedgerClient) -> None:
        padding = " " * 5000

        response = limited.http.post(
            "/graphql", json={"query": "{ __typename }" + padding},
            headers={"Authorization": f"Bearer {fresh(limited)}"})

        assert response.status_code == 413


class TestRateLimit:
    def test_past_the_burst_a_token_gets_429_with_retry_after(
        self, limited: LedgerClient
    ) -> None:
        token = fresh(limited)

        statuses = [limited.gql("{ __typename }", token=token).status for _ in range(6)]
        refused = limited.http.post("/graphql", json={"query": "{ __typename }"},
                                    headers={"Authorization": f"Bearer {token}"})

        assert statuses[:5] == [200] * 5 and refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1
        assert limited.gql("{ __typename }", token=fresh(limited)).status == 200  # others
        time.sleep(int(refused.headers["Retry-After"]))
        assert limited.gql("{ __typename }", token=token).status == 200


class TestTokens:
    def test_an_expired_token_gets_401(self, limited: LedgerClient) -> None:
        expired = TokenKeys(NEW_KEY).issue(Role.OPERATOR, "late", 60, now=time.time() - 120)

        answer = limited.gql("{ __typename }", token=expired)

        assert (answer.status, answer.code) == (401, "UNAUTHENTICATED")

    def test_a_tampered_token_gets_401(self, limited: LedgerClient) -> None:
        header, _claims, signature = fresh(limited, Role.OPERATOR).split(".")
        forged = jwt.encode({"sub": "x", "role": "admin", "exp": time.time() + 600},
                            "a guessed key of thirty-two bytes!", algorithm="HS256").split(".")[1]

        answer = limited.gql("{ __typename }", token=f"{header}.{forged}.{signature}")

        assert answer.status == 401

    def test_during_a_rotation_old_and_new_keys_are_both_accepted(
        self, limited: LedgerClient
    ) -> None:
        old, new = fresh(limited, key=OLD_KEY), fresh(limited, key=NEW_KEY)
        unknown = fresh(limited, key=secrets.token_urlsafe(48))

        statuses = [limited.gql("{ __typename }", token=t).status for t in (old, new, unknown)]

        assert statuses == [200, 200, 401]
