"""The schema, merged from the per-context modules (accounts, appeals)."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from api.graphql.accounts.mutations.interaction_record import record_interaction
from api.graphql.accounts.mutations.unidentified import (
    link_contact,
    record_unidentified_interaction,
)
from api.graphql.accounts.queries import AccountQueries
from api.graphql.accounts.subscriptions import AccountSubscriptions
from api.graphql.appeals.mutations import AppealMutations
from api.graphql.appeals.queries import AppealQueries
from api.graphql.errors import ErrorCodes
from api.graphql.limits import ParsedDocuments, RequestLimits
from api.graphql.notifications.mutations import NotificationMutations
from api.graphql.notifications.queries import NotificationQueries
from api.graphql.personal_audit import PersonalDataAudit
from api.graphql.personal_data.mutations import PersonalDataMutations
from api.graphql.personal_data.queries import PersonalDataQueries
from api.graphql.sla.queries import SlaQueries


@strawberry.type
class AccountMutations:
    record_interaction = strawberry.mutation(
        record_interaction, description="Record a contact on any channel."
    )
    record_unidentified_interaction = strawberry.mutation(
        record_unidentified_interaction, description="Record a contact from someone with no "
        "account known yet, in the stream of their phone or e-mail.")
    link_contact = strawberry.mutation(
        link_contact, description="Link an unidentified contact's stream to a client's account.")


Query = merge_types("Query", (AccountQueries, AppealQueries, SlaQueries, PersonalDataQueries,
                             NotificationQueries))
Mutation = merge_types("Mutation", (AccountMutations, AppealMutations, PersonalDataMutations,
                                    NotificationMutations))

class LedgerSchema(strawberry.Schema):
    """Refused commands are answers, not faults: only internal errors are logged (by ErrorCodes)."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log nothing here; ErrorCodes logs internal errors with their traceback."""


Subscription = merge_types("Subscription", (AccountSubscriptions,))

schema = LedgerSchema(
    query=Query, mutation=Mutation, subscription=Subscription,
    extensions=[ErrorCodes, RequestLimits, ParsedDocuments, PersonalDataAudit],
)
