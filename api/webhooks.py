"""Delivery receipts over HTTP: POST /webhooks/notifications/{gateway} (integration role).

The body is a receipt (adapters/notify/receipts.py): `{"notificationId" | "messageId",
"status", "at", "reason"?}`. Bad input gets 400 naming the field, nothing stored; a receipt
of no notification sent through that gateway gets 404; one the notification cannot take yet
(delivered before it was recorded as sent) gets 409, for the gateway to send again later.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import anyio.to_thread
from litestar.response import Response

from adapters.bootstrap import Services
from adapters.notify.receipts import channel_of, decode_receipt, record_receipt
from domain.errors import LedgerError, ValidationError

_STATUS = {"VALIDATION": 400, "NOT_FOUND": 404, "INVALID_TRANSITION": 409}


async def receive_receipt(services: Services, actor: str, gateway: str, body: bytes) -> (
        Response[Any]):
    """Store a gateway's receipt as an event of its notification; the answer says where."""
    try:
        channel_of(gateway)
        given = decode_receipt(body)
        notification_id, outcome = await anyio.to_thread.run_sync(partial(
            record_receipt, services.pool, services.committer, gateway, given, actor))
    except LedgerError as error:
        return _refused(error)
    return Response({"position": outcome.position, "duplicate": outcome.duplicate,
                     "notificationId": str(notification_id)})


def _refused(error: LedgerError) -> Response[Any]:
    extensions: dict[str, str] = {"code": error.code}
    if isinstance(error, ValidationError):
        extensions["field"] = error.field
    return Response({"errors": [{"message": error.message, "extensions": extensions}]},
                    status_code=_STATUS.get(error.code, 422))
