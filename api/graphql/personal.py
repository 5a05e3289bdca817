"""Personal-data fields in GraphQL: masked without a declared purpose, and every read audited.

Use on a type's field whose value is personal data (a `str | None`):

    subject: str = pd_field(description="...")                 # root.account_number
    phone: str | None = pd_field(account=lambda c: c.account)   # the account another way

or, in a resolver, `personal(info, account_number, "Appeal.subject", value)`. A JSON field
holding an event's own fields takes `pd_details_field(event_type=lambda root: ...)`.
Without `X-Purpose`, for an account the purpose does not cover (domain/purpose.py), or for a
role that may not see personal data, the value reads `***`;
an erased value reads `[erased]`; otherwise the read is noted for the request, and the
`PersonalDataAudit` extension stores one PersonalDataAccessed per account before the
response leaves (no record, no data).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from strawberry.extensions.field_extension import FieldExtension

from api.graphql.context import Context
from domain.personal_data import personal_fields_by_type
from domain.values import ERASED

MASK = "***"
"""What a personal-data value reads as without a declared purpose."""
PERSONAL_DATA = "personalData"
"""The ACCESS entry naming the roles that may be shown personal data (with a purpose)."""

Info = strawberry.Info[Context, Any]


def personal(
    info: Info, account_number: str, field: str, value: str | None, right: str = PERSONAL_DATA
) -> str | None:
    """The value as this caller may see it; a value shown is noted for the access record.

    `right` is the ACCESS entry whose roles may see it (with a purpose)."""
    if value is None or value == ERASED:
        return value
    if not may_see(info.context, account_number, right):
        return MASK
    note(info, account_number, field)
    return value


def may_see(context: Context, account_number: str, right: str = PERSONAL_DATA) -> bool:
    """Whether the caller has a role that may see personal data, and declared a purpose that
    covers this account (`appeal:N` covers only the account of appeal N)."""
    principal, purpose = context.principal, context.purpose
    return (purpose is not None and purpose.covers(account_number)
            and principal is not None and principal.may(right))


def note(info: Info, account_number: str, field: str) -> None:
    """Remember that a field of an account was shown in this operation."""
    reads = info.context.pd_reads.setdefault(id(info.operation), {})
    reads.setdefault(account_number, set()).add(field)


def personal_details(
    info: Info, account_number: str, event_type: str, details: dict[str, Any],
    right: str = PERSONAL_DATA, every_key: bool = False,
) -> dict[str, Any]:
    """An event's camelCase fields with its personal ones masked or noted, like `personal`;
    with `every_key`, all of them are personal (what a subject report holds)."""
    keys = set(details) if every_key else {_camel(n) for n in personal_fields_by_type(event_type)}
    shown = {k for k, v in details.items() if k in keys and v is not None and not is_erased(v)}
    if not shown:
        return details
    if not may_see(info.context, account_number, right):
        return {k: MASK if k in shown else v for k, v in details.items()}
    for key in sorted(shown):
        note(info, account_number, f"{field_of(info)}.{key}")
    return details


def field_of(info: Info) -> str:
    """The field being read, named by its type: e.g. Appeal.subject, Contact.phone."""
    return f"{info.path.typename}.{info.field_name}"


def is_erased(value: Any) -> bool:
    """Whether a value (a text, or a contact's fields) reads as erased."""
    if isinstance(value, dict):
        return all(v in (None, ERASED) for v in value.values())
    return bool(value == ERASED)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _account_number(root: Any) -> str:
    number: str = root.account_number
    return number


Resolve = Callable[..., Any]


class PersonalData(FieldExtension):
    """Masks or notes a personal-data field: `account` says whose data the root holds, and
    `when` (if given) whether this root's value is personal data at all."""

    def __init__(
        self, account: Callable[[Any], str] = _account_number,
        when: Callable[[Any], bool] | None = None, right: str = PERSONAL_DATA,
    ) -> None:
        self.account = account
        self.when = when
        self.right = right

    def resolve(self, next_: Resolve, source: Any, info: Info, **kwargs: Any) -> Any:
        """Sync fields (attributes)."""
        return self.shown(source, info, next_(source, info, **kwargs))

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any
    ) -> Any:
        """Async resolvers."""
        return self.shown(source, info, await next_(source, info, **kwargs))

    def shown(self, source: Any, info: Info, value: Any) -> Any:
        """The value as the caller may see it."""
        if self.when is not None and not self.when(source):
            return value
        return personal(info, self.account(source), field_of(info), value, self.right)


class PersonalDetails(PersonalData):
    """Masks or notes the personal fields inside an event's JSON `details`."""

    def __init__(
        self, event_type: Callable[[Any], str], account: Callable[[Any], str] = _account_number,
        right: str = PERSONAL_DATA, every_key: bool = False,
    ) -> None:
        super().__init__(account, right=right)
        self.event_type, self.every_key = event_type, every_key

    def shown(self, source: Any, info: Info, value: Any) -> Any:
        """The details as the caller may see them."""
        return personal_details(info, self.account(source), self.event_type(source), value,
                                self.right, self.every_key)


def pd_field(
    *, description: str | None = None, account: Callable[[Any], str] = _account_number,
    when: Callable[[Any], bool] | None = None, right: str = PERSONAL_DATA,
) -> Any:
    """A strawberry field holding personal data of `account(root)` (default: the root's
    `account_number`), if `when(root)` (default: always), shown to the roles of `right`."""
    return strawberry.field(description=description,
                            extensions=[PersonalData(account, when, right)])


def pd_details_field(
    *, event_type: Callable[[Any], str], description: str | None = None,
    account: Callable[[Any], str] = _account_number, right: str = PERSONAL_DATA,
    every_key: bool = False,
) -> Any:
    """A strawberry JSON field of an event's own fields, its personal ones (or, with
    `every_key`, all of them) protected."""
    return strawberry.field(description=description, extensions=[
        PersonalDetails(event_type, account, right, every_key)])
