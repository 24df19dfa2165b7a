"""With an app id configured, only requests with a valid Bot Framework token get through:
everything else is 401, and nothing reaches the engine, the store or the connector."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.clock import ManualClock
from bot.messages import Channel, user_key
from tests.harness import RunningApp, running_app
from tests.teams.fakes import ORG, TENANT, FakeConnector, TeamsUser, personal_chat

APP_ID = "3c9b1f5e-2a7d-4e6f-8b1a-9d0c2e4f6a8b"
SECRET = "not-a-real-secret~but-never-log-it"
AUTHENTICATED = {
    "ORGANISATION_FILE": ORG,
    "MICROSOFT_APP_ID": APP_ID,
    "MICROSOFT_APP_PASSWORD": SECRET,
    "MICROSOFT_APP_TENANT_ID": TENANT,
    "MICROSOFT_APP_TYPE": "SingleTenant",
}


def forged_token(service_url: str) -> str:
    """A well-formed JWT that no Bot Framework key signed."""

    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    header = part({"alg": "RS256", "typ": "JWT", "kid": "forged"})
    claims = part({"iss": "https://attacker.example", "aud": APP_ID, "serviceurl": service_url})
    return f"{header}.{claims}.c2lnbmF0dXJl"


@pytest.fixture
async def secured(
    schema_at_head: None, database_url: str, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[RunningApp]:
    caplog.set_level(logging.DEBUG)
    async with running_app(database_url, clock=clock, env=AUTHENTICATED) as app:
        yield app


@pytest.mark.parametrize(
    "authorization", [None, "Bearer", "Bearer not.a.jwt", "Basic YTpi", "forged"]
)
async def test_requests_without_a_valid_token_are_rejected_and_leave_no_trace(
    secured: RunningApp,
    connector: FakeConnector,
    http: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
    authorization: str | None,
) -> None:
    jan = TeamsUser(
        http, bot_url=secured.url, connector=connector, name="Jan", conversation=personal_chat()
    )
    activity = jan.activity(text="we hebben een oplichter betaald", textFormat="plain")
    headers = {}
    if authorization == "forged":
        headers["Authorization"] = f"Bearer {forged_token(connector.url)}"
    elif authorization is not None:
        headers["Authorization"] = authorization
    async with http.post(f"{secured.url}/api/messages", json=activity, headers=headers) as response:
        assert response.status == 401
        assert await response.json() == {"error": "unauthorized"}

    assert connector.calls == []
    async with secured.runtime.require_store().transaction() as tx:
        assert await tx.get_address(user_key(Channel.TEAMS, TENANT, jan.aad_object_id)) is None
        assert await tx.open_incidents() == []
        conversation = f"teams:{TENANT}:{jan.conversation.id}:{jan.aad_object_id}"
        assert await tx.get_conversation(conversation) is None
        # Still unclaimed: the engine never saw this activity id.
        assert await tx.claim_inbound(
            channel="teams", event_id=activity["id"], at=secured.runtime.clock.now()
        )
    assert SECRET not in caplog.text
