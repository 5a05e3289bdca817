"""erasePersonalData: destroy an account's data key and record the erasure with its ground."""

from __future__ import annotations

from functools import partial

import anyio.to_thread
import strawberry

from adapters.personal_data import erase
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


async def erase_personal_data(
    info: strawberry.Info[Context, None], input: ErasureInput
) -> ErasurePayload:
    """Admin: erase an account's personal data by destroying its key (crypto-shredding)."""
    context = info.context
    principal = context.require("erasePersonalData")
    command = convert(input, ErasePersonalData)
    services = context.services
    outcome = await anyio.to_thread.run_sync(partial(
        erase, services.ledger, services.committer, services.keys, command, principal.subject))
    for read_model in ERASING_READ_MODELS:
        await context.wait(read_model, outcome.position)
    return ErasurePayload(position=outcome.position, account_number=outcome.account_number)


@strawberry.type
class PersonalDataMutations:
    erase_personal_data = strawberry.mutation(
        erase_personal_data,
        description="Admin: erase an account's personal data (its key is destroyed).")
