"""The GraphQL enums of API.md, taken from the domain so both always agree."""

from __future__ import annotations

import strawberry

from domain import values as v

Channel = strawberry.enum(v.Channel, description="Where a contact happened.")
Direction = strawberry.enum(v.Direction, description="Who started the contact.")
AppealType = strawberry.enum(v.AppealType, description="Statement, complaint, proposal...")
AppealStatus = strawberry.enum(v.AppealStatus, description="Where an appeal is in its lifecycle.")
AppealForm = strawberry.enum(v.AppealForm, description="Written, oral or electronic.")
AccountKind = strawberry.enum(v.AccountKind, description="Individual, legal entity, sole trader.")
WithoutConsiderationReason = strawberry.enum(
    v.WithoutConsiderationReason, description="Why an appeal is not considered (8.4.5–8.4.8)."
)
