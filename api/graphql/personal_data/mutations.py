"""erasePersonalData: destroy an account's data key and record the erasure with its ground."""

from __future__ import annotations

from functools import partial

import anyio.to_thread
import strawberry

from adapters.personal_data import erase_with_linked
from api.graphql.context import Context
from api.graphql.errors import convert
from domain.commands import ErasePersonalData

ERASING_READ_MODELS = ("timeline", "appeal_status", "pd_audit")
"""Read models that hold personal data or erasures: the payload waits for them."""


@strawberry.input(description="Whose personal data to erase, and the legal ground.")
class ErasureInput:
    account_number: str
    ground: str = strawberry.field(description="E.g. 152-ФЗ ст. 21 ч. 5: consent withdrawn.")


@strawberry.type(description="The erasure as recorded.")
class ErasurePayload:
    position: int = strawberry.field(description="The log position of PersonalDataErased.")
    account_number: str
    linked_contacts: list[str] = strawberry.field(description=(
        "The unidentified contacts linked to the account (linkContact), erased with it on the"
        " same ground: each has a PersonalDataErased of its own."))


async def erase_personal_data(
    info: strawberry.Info[Context, None], input: ErasureInput
) -> ErasurePayload:
    """Admin: erase an account's personal data, and that of the unidentified contacts linked
    to it, by destroying their keys (crypto-shredding)."""
    context = info.context
    principal = context.require("erasePersonalData")
    command = convert(input, ErasePersonalData)
    services = context.services
    erasure = await anyio.to_thread.run_sync(partial(
        erase_with_linked, services.ledger, services.committer, services.keys, services.pool,
        command, principal.subject, context.settings.read_wait_seconds))
    for read_model in ERASING_READ_MODELS:
        await context.wait(read_model, erasure.last_position)
    return ErasurePayload(position=erasure.outcome.position,
                          account_number=erasure.outcome.account_number,
                          linked_contacts=erasure.linked)


@strawberry.type
class PersonalDataMutations:
    erase_personal_data = strawberry.mutation(
        erase_personal_data,
        description="Admin: erase an account's personal data and its linked contacts'"
                    " (their keys are destroyed).")
