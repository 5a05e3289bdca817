"""requestNotification: an integration reports an admission act placed (9.1.4) or a meter
verification due (9.1.3) → Account.NotificationRequested, once per reference."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry
from strawberry.scalars import JSON

from adapters.notify.service import templates
from api.graphql.context import Context
from api.graphql.errors import camel, convert
from api.graphql.notifications.types import Notification, NotificationKind
from domain.errors import ValidationError
from domain.identity import account_stream_id
from domain.notification_commands import RequestNotification
from domain.notification_values import notification_id
from projections.notification_queries import read_notification

REQUESTABLE = {NotificationKind.ADMISSION_ACT: "admission.act",
               NotificationKind.VERIFICATION_REMINDER: "meter.verification"}
"""The kinds an integration asks for (the others follow from the ledger's own events)."""


@strawberry.input(description="A notice an integration asks the ledger to send once.")
class NotificationRequestInput:
    account_number: str
    kind: NotificationKind = strawberry.field(description="ADMISSION_ACT or "
                                              "VERIFICATION_REMINDER.")
    reference: str = strawberry.field(description="The fact it answers (act number, meter and "
                                      "due date): the same reference is notified once.")
    values: JSON = strawberry.field(description="The template's figures, e.g. {actNumber...}.")


@strawberry.type(description="The position written and the notification as read after it.")
class NotificationPayload:
    position: int
    duplicate: bool = strawberry.field(description="True when the reference was notified.")
    notification: Notification | None


def _command(given: NotificationRequestInput, context: Context) -> RequestNotification:
    rule = REQUESTABLE.get(given.kind)
    if rule is None:
        raise ValidationError(f"{given.kind.name} follows from the ledger's own events",
                              "input.kind")
    values = convert(given.values or {}, dict[str, str], "input.values")
    template = templates(context.settings).get(given.kind.value)
    try:
        subject, text = template.render(
            {**{_snake(k): v for k, v in values.items()}, "account_number": given.account_number},
            "input.values")
    except ValidationError as error:  # name the value as the client spells it
        raise ValidationError(error.message, camel(error.field)) from None
    try:
        return convert({"accountNumber": given.account_number, "kind": given.kind.value,
                        "trigger": {"rule": rule, "ref": given.reference},
                        "channels": [c.value for c in template.channels], "subject": subject,
                        "text": text, "at": datetime.now(UTC).isoformat()}, RequestNotification)
    except ValidationError as error:  # the trigger's ref is what the client calls reference
        field = _INPUT_NAMES.get(error.field, error.field)
        raise ValidationError(error.message.replace(error.field, field, 1), field) from None


_INPUT_NAMES = {"input.trigger.ref": "input.reference"}
"""Fields of the command built here, by the names of the input the client sent."""


async def request_notification(
    info: strawberry.Info[Context, None], input: NotificationRequestInput
) -> NotificationPayload:
    """Ask for an admission-act or verification notice; the same reference goes out once."""
    context = info.context
    principal = context.require("requestNotification")
    command = _command(input, context)
    outcome = await context.services.committer.execute_async(  # no channel of its own to check
        command, principal.subject, datetime.now(UTC))
    await context.wait("notifications", outcome.position)
    row = await context.read(read_notification, notification_id(
        account_stream_id(command.account_number), command.trigger))
    return NotificationPayload(position=outcome.position, duplicate=outcome.duplicate,
                               notification=None if row is None else Notification.of(row))


def _snake(name: str) -> str:
    return "".join(f"_{ch.lower()}" if ch.isupper() else ch for ch in name)

