"""The README's role table (docs/personal-data.md) is the code's: api/auth.py::ACCESS."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api.auth import ACCESS, Principal, Role
from domain.errors import ForbiddenError
from domain.values import Channel

pytestmark = pytest.mark.unit

DOC = Path(__file__).parents[2] / "docs" / "personal-data.md"
ROW = re.compile(r"^\| `(\w+)` \|(.*)\|$")


def documented() -> dict[str, frozenset[Role]]:
    """The table between the access-table markers: operation -> roles ticked."""
    text = DOC.read_text(encoding="utf-8")
    table = text.split("<!-- access-table -->")[1].split("<!-- /access-table -->")[0]
    header = [h.strip() for h in table.strip().splitlines()[0].strip("|").split("|")][1:]
    found = {}
    for line in table.strip().splitlines()[2:]:
        match = ROW.match(line.strip())
        assert match, line
        cells = [c.strip() for c in match.group(2).split("|")]
        found[match.group(1)] = frozenset(Role(r) for r, c in zip(header, cells, strict=True)
                                          if c == "✓")
    return found


class TestAccessTable:
    def test_the_documented_table_is_the_code_table(self) -> None:
        assert documented() == ACCESS, "update docs/personal-data.md from api/auth.py::ACCESS"

    def test_an_unlisted_operation_is_for_admins_only(self) -> None:
        assert Principal("root", Role.ADMIN).may("somethingNew")
        assert not Principal("ivanova", Role.SUPERVISOR).may("somethingNew")


class TestIntegrationChannel:
    def test_an_integration_is_held_to_the_channel_its_subject_names(self) -> None:
        portal = Principal("gis_zhkh:node-2", Role.INTEGRATION)

        portal.check_channel(Channel.GIS_ZHKH)
        with pytest.raises(ForbiddenError):
            portal.check_channel(Channel.PHONE, None)

    def test_an_integration_naming_no_channel_may_use_none(self) -> None:
        with pytest.raises(ForbiddenError):
            Principal("crm", Role.INTEGRATION).check_channel(Channel.OFFICE)

    def test_other_roles_are_not_held_to_a_channel(self) -> None:
        Principal("ivanova", Role.OPERATOR).check_channel(Channel.PHONE)
