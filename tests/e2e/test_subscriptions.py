"""Live subscriptions over graphql-transport-ws, as a frontend holds them open."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import nats
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from api.auth import Role
from tests.conftest import NatsNames
from tests.e2e.conftest import LedgerClient, account_number

pytestmark = pytest.mark.e2e

PROTOCOL = "graphql-transport-ws"
TIMELINE = (
    "subscription($a: String!) { timelineAppended(accountNumber: $a) { eventType appealNumber } }"
)
APPEALS = "subscription($a: String!) { appealUpdated(accountNumber: $a) { number status } }"


@asynccontextmanager
async def connected(ledger: LedgerClient, token: str) -> AsyncIterator[ClientConnection]:
    """A websocket that has been through connection_init with the token."""
    url = ledger.base_url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(url, subprotocols=[PROTOCOL]) as ws:  # type: ignore[list-item]
        init = {"authorization": f"Bearer {token}"}
        await ws.send(json.dumps({"type": "connection_init", "payload": init}))
        ack = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert ack["type"] == "connection_ack", ack
        yield ws


async def subscribe(ws: ClientConnection, sub_id: str, query: str, account: str) -> None:
    """Start a subscription on the socket."""
    payload = {"query": query, "variables": {"a": account}}
    await ws.send(json.dumps({"id": sub_id, "type": "subscribe", "payload": payload}))


async def next_data(ws: ClientConnection) -> tuple[str, dict[str, Any]]:
    """The next `next` message: its subscription id and data."""
    message = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert message["type"] == "next", message
    assert not message["payload"].get("errors"), message
    return message["id"], message["payload"]["data"]


class TestSubscriptions:
    async def test_a_subscriber_sees_each_new_timeline_entry_and_appeal_change(
        self, ledger: LedgerClient
    ) -> None:
        account = account_number()
        async with connected(ledger, ledger.token(Role.OPERATOR)) as ws:
            await subscribe(ws, "t", TIMELINE, account)
            await subscribe(ws, "a", APPEALS, account)
            await asyncio.sleep(0.3)  # the server registers the listeners

            appeal = await asyncio.to_thread(ledger.register, account, "MAIL")
            received = [await next_data(ws) for _ in range(3)]

        timeline = [d["timelineAppended"]["eventType"] for i, d in received if i == "t"]
        appeals = [d["appealUpdated"] for i, d in received if i == "a"]
        assert timeline == ["Opened", "AppealRegistered"]
        assert appeals == [{"number": appeal["number"], "status": "REGISTERED"}]

    async def test_another_accounts_changes_do_not_reach_the_subscriber(
        self, ledger: LedgerClient
    ) -> None:
        watched, other = account_number(), account_number()
        async with connected(ledger, ledger.token(Role.SUPERVISOR)) as ws:
            await subscribe(ws, "t", TIMELINE, watched)
            await asyncio.sleep(0.3)

            theirs = await asyncio.to_thread(ledger.register, other, "MAIL")
            mine = await asyncio.to_thread(ledger.register, watched, "MAIL")
            received = [(await next_data(ws))[1]["timelineAppended"] for _ in range(2)]

        assert received == [
            {"eventType": "Opened", "appealNumber": None},
            {"eventType": "AppealRegistered", "appealNumber": mine["number"]},
        ]
        assert theirs["number"] != mine["number"]

    async def test_an_interaction_ingested_from_nats_reaches_the_subscriber(
        self, ledger: LedgerClient, nats_server_url: str, nats_names: NatsNames
    ) -> None:
        # A telephony system sends a finished call to ledger.ingest.phone; the service stores it
        # through its channel consumer, and the subscriber sees it through the log.
        account = account_number()
        call = {
            "kind": "call_ended", "messageId": f"pbx-{account}", "callId": f"pbx-{account}",
            "accountNumber": account, "direction": "inbound",
            "startedAt": "2026-03-02T10:01:12+03:00", "endedAt": "2026-03-02T10:05:17+03:00",
            "topic": "Сроки оплаты счёта", "operator": "Сидоров К.В.",
        }
        async with connected(ledger, ledger.token(Role.OPERATOR)) as ws:
            await subscribe(ws, "t", TIMELINE, account)
            await asyncio.sleep(0.3)

            client = await nats.connect(nats_server_url)
            try:
                await client.publish(f"{nats_names.subject_prefix}.ingest.phone",
                                     json.dumps(call).encode())
                await client.flush()
            finally:
                await client.close()
            received = [(await next_data(ws))[1]["timelineAppended"] for _ in range(2)]

        assert [r["eventType"] for r in received] == ["Opened", "InteractionRecorded"]

    async def test_a_subscription_in_an_http_request_is_told_where_to_go(
        self, ledger: LedgerClient
    ) -> None:
        answer = ledger.gql(f'subscription {{ timelineAppended(accountNumber: "{account_number()}")'
                            " { eventType } }")

        assert answer.code == "VALIDATION"
        assert answer.error["message"].startswith("subscriptions are served over a WebSocket")

    async def test_a_connection_without_a_valid_token_is_rejected(
        self, ledger: LedgerClient
    ) -> None:
        url = ledger.base_url.replace("http://", "ws://") + "/graphql"

        async with websockets.connect(url, subprotocols=[PROTOCOL]) as ws:  # type: ignore[list-item]
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 5)

        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
