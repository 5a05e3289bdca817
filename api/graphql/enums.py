"""The GraphQL enums of API.md, taken from the domain so both always agree."""

from __future__ import annotations

import strawberry

from domain import values as v

strawberry.enum(v.Channel, description="Where a contact happened.")
Channel = v.Channel
strawberry.enum(v.Direction, description="Who started the contact.")
Direction = v.Direction
strawberry.enum(v.AppealType, description="Statement, complaint, proposal...")
AppealType = v.AppealType
strawberry.enum(v.AppealStatus, description="Where an appeal is in its lifecycle.")
AppealStatus = v.AppealStatus
strawberry.enum(v.AppealForm, description="Written, oral or electronic.")
AppealForm = v.AppealForm
strawberry.enum(v.AccountKind, description="Individual, legal entity, sole trader.")
AccountKind = v.AccountKind
strawberry.enum(
    v.WithoutConsiderationReason, description="Why an appeal is not considered (8.4.5–8.4.8)."
)
WithoutConsiderationReason = v.WithoutConsiderationReason
