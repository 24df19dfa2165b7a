"""Socket Mode: the app connects out to a websocket the test serves, as Slack's would be."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.clock import ManualClock
from bot.config import SettingsError
from tests.harness import running_app
from tests.slack.conftest import slack_env
from tests.slack.driver import TEAM, event_body
from tests.slack.fake_slack import APP_TOKEN, FakeSlack, SlackUserRecord


@dataclass
class SocketServer:
    """Slack's side of the websocket: says hello, pushes envelopes, collects the acks."""

    url: str = ""
    acks: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    socket: web.WebSocketResponse | None = None

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.socket = socket
        await socket.send_json({"type": "hello", "num_connections": 1, "debug_info": {}})
        self.connected.set()
        async for message in socket:
            if message.type is aiohttp.WSMsgType.TEXT:
                await self.acks.put(json.loads(message.data))
        return socket

    async def push(self, envelope: dict[str, Any]) -> dict[str, Any]:
        """Send one envelope and wait for the acknowledgement that names it."""
        assert self.socket is not None
        await self.socket.send_json(envelope)
        async with asyncio.timeout(5):
            return await self.acks.get()


@pytest.fixture
async def socket_server() -> AsyncIterator[SocketServer]:
    server = SocketServer()
    app = web.Application()
    app.router.add_get("/link", server.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    server.url = f"ws://{host}:{port}/link"
    yield server
    if server.socket is not None:
        await server.socket.close()
    await runner.cleanup()


async def test_socket_mode_round_trip(
    database_url: str, clock: ManualClock, fake: FakeSlack, socket_server: SocketServer
) -> None:
    fake.socket_url = socket_server.url
    fake.users["U0JAN"] = SlackUserRecord("Jan Jansen")
    env = slack_env(fake, SLACK_APP_TOKEN=APP_TOKEN, SLACK_SIGNING_SECRET="")
    async with running_app(database_url, clock=clock, env=env) as app:
        [opened] = fake.calls_of("apps.connections.open")
        assert opened.token == APP_TOKEN
        await asyncio.wait_for(socket_server.connected.wait(), 5)

        event = {
            "type": "message",
            "channel": "DU0JAN",
            "user": "U0JAN",
            "text": "ik denk dat we een oplichter hebben betaald",
            "ts": f"{time.time():.6f}",
            "channel_type": "im",
        }
        envelope = {
            "envelope_id": "57d6a792-4d35-4d0f-b8ac-a3b06b0f6c8f",
            "type": "events_api",
            "accepts_response_payload": False,
            "retry_attempt": 0,
            "retry_reason": "",
            "payload": json.loads(event_body(event)),
        }
        ack = await socket_server.push(envelope)
        assert ack == {"envelope_id": "57d6a792-4d35-4d0f-b8ac-a3b06b0f6c8f"}
        await fake.wait_for(lambda: bool(fake.calls_of("chat.postMessage")))
        [question] = fake.calls_of("chat.postMessage")
        assert question.args["channel"] == "DU0JAN" and "starten" in question.args["text"]

        yes = next(
            e for e in question.args["blocks"][-1]["elements"] if e["text"]["text"] == "Ja, start"
        )
        click = {
            "type": "block_actions",
            "user": {"id": "U0JAN", "username": "jan", "team_id": TEAM},
            "container": {
                "type": "message",
                "message_ts": question.result["ts"],
                "channel_id": "DU0JAN",
                "is_ephemeral": False,
            },
            "trigger_id": "1.U0JAN.trigger",
            "team": {"id": TEAM, "domain": "acme"},
            "channel": {"id": "DU0JAN", "name": "directmessage"},
            "actions": [
                {
                    "action_id": yes["action_id"],
                    "block_id": "b",
                    "value": yes["value"],
                    "type": "button",
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        envelope = {
            "envelope_id": "e-2",
            "type": "interactive",
            "accepts_response_payload": True,
            "payload": click,
        }
        assert (await socket_server.push(envelope))["envelope_id"] == "e-2"
        await fake.wait_for(lambda: "is geopend" in str(fake.calls_of("chat.postMessage")))

        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{app.url}/slack/events") as response,
        ):
            assert response.status == 404, "Socket Mode serves no Slack route"


async def test_a_wrong_app_token_stops_the_start_with_one_line(
    database_url: str, clock: ManualClock, fake: FakeSlack
) -> None:
    env = slack_env(fake, SLACK_APP_TOKEN=APP_TOKEN + "-revoked", SLACK_SIGNING_SECRET="")
    with pytest.raises(SettingsError, match=r"^Slack refused Socket Mode \(invalid_auth\)") as exc:
        async with running_app(database_url, clock=clock, env=env):
            pass
    assert APP_TOKEN not in str(exc.value)
