"""Declared purposes: parsed from `<kind>:<reference>`, refused with the field and the forms
expected, and confined to the account an appeal or account purpose names."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from domain.errors import ValidationError
from domain.identity import account_stream_id
from domain.purpose import (
    AccountPurpose,
    AppealPurpose,
    AuditPurpose,
    ComplaintReviewPurpose,
    SubjectRequestPurpose,
    declare,
    parse_purpose,
    purpose_text,
)

pytestmark = pytest.mark.unit


class TestParsePurpose:
    @pytest.mark.parametrize(("text", "parsed"), [
        ("appeal:2026-000123", AppealPurpose(ref="2026-000123")),
        ("complaint-review:2026-000123", ComplaintReviewPurpose(ref="2026-000123")),
        ("account:1234567890", AccountPurpose(ref="1234567890")),
        ("subject-request:2026/14-ПД", SubjectRequestPurpose(ref="2026/14-ПД")),
        ("  audit:replay ", AuditPurpose(ref="replay")),
        ("AUDIT:Case-7", AuditPurpose(ref="Case-7")),
    ])
    def test_each_kind_is_read_and_recorded_as_kind_and_reference(
        self, text: str, parsed: object
    ) -> None:
        purpose = parse_purpose(text)

        assert purpose == parsed
        assert purpose_text(purpose).lower() == text.strip().lower()

    @pytest.mark.parametrize(("text", "says"), [
        ("e2e:checks", "unknown purpose 'e2e:checks'; declare one of appeal:<appeal number"),
        ("just looking", "unknown purpose"),
        ("appeal:check", "appeal needs the form appeal:<appeal number, e.g. 2026-000123>"),
        ("account:12", "account needs the form account:<account number>, not '12'"),
        ("audit:", "audit needs the form audit:<case reference>"),
        ("audit:two words", "audit needs the form"),
    ])
    def test_a_malformed_purpose_names_the_field_and_the_forms_expected(
        self, text: str, says: str
    ) -> None:
        with pytest.raises(ValidationError) as refused:
            parse_purpose(text, "X-Purpose")

        assert refused.value.field == "X-Purpose"
        assert says in refused.value.message


class TestScope:
    def test_an_appeal_purpose_covers_only_the_account_of_that_appeal(self) -> None:
        owner, other = "1000000001", "1000000002"
        located: dict[str, UUID] = {"2026-000123": account_stream_id(owner)}

        declared = declare(parse_purpose("appeal:2026-000123"), located.get)

        assert declared.covers(owner) and not declared.covers(other)

    def test_an_unknown_appeal_covers_no_account(self) -> None:
        declared = declare(parse_purpose("complaint-review:1999-000001"), lambda n: None)

        assert not declared.covers("1000000001")

    def test_an_account_purpose_covers_that_account_and_an_audit_any(self) -> None:
        def never(number: str) -> UUID:
            raise AssertionError("no lookup for these")

        account = declare(parse_purpose("account:1000000001"), never)
        audit = declare(parse_purpose("audit:case-7"), never)

        assert account.covers("1000000001") and not account.covers("1000000002")
        assert audit.covers(str(uuid4().int)[:12]) and audit.text == "audit:case-7"
