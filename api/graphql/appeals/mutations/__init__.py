"""The appeal mutations of API.md, each defined in its own module under mutations/."""

from __future__ import annotations

import strawberry

from api.graphql.appeals.mutations.appeal_answer import answer_appeal
from api.graphql.appeals.mutations.appeal_assign import assign_appeal
from api.graphql.appeals.mutations.appeal_close import close_appeal
from api.graphql.appeals.mutations.appeal_defer import defer_appeal
from api.graphql.appeals.mutations.appeal_extend import extend_appeal
from api.graphql.appeals.mutations.appeal_leave_without_consideration import (
    leave_without_consideration,
)
from api.graphql.appeals.mutations.appeal_register import register_appeal
from api.graphql.appeals.mutations.appeal_request_clarification import request_clarification


@strawberry.type
class AppealMutations:
    register_appeal = strawberry.mutation(register_appeal, description="Register an appeal.")
    assign_appeal = strawberry.mutation(assign_appeal, description="Assign an appeal.")
    request_clarification = strawberry.mutation(
        request_clarification, description="Ask the client for details."
    )
    defer_appeal = strawberry.mutation(defer_appeal, description="Defer to the next working day.")
    extend_appeal = strawberry.mutation(extend_appeal, description="Extend the term once.")
    answer_appeal = strawberry.mutation(answer_appeal, description="Answer an appeal.")
    close_appeal = strawberry.mutation(close_appeal, description="Close an answered appeal.")
    leave_appeal_without_consideration = strawberry.mutation(
        leave_without_consideration, description="Leave without consideration (8.4.5–8.4.8)."
    )
