"""The real app on a loopback port, with ``SLACK_API_URL`` pointing at a fake Slack Web API.

``fake`` records every Web API call; ``slack`` sends signed requests to ``/slack/events``;
``person(...)`` makes a Slack user who talks and clicks. Every test runs on SQLite and on
PostgreSQL (``database_url`` in ``tests/conftest.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from bot.clock import ManualClock
from bot.ports import Event
from tests.harness import RunningApp, running_app
from tests.slack.driver import SIGNING_SECRET, TEAM, SignedSlack, SlackUser
from tests.slack.fake_slack import BOT_TOKEN, FakeSlack

ORG = str(Path(__file__).with_name("organisation.yaml"))
START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # 10:00 in Amsterdam


def slack_env(fake: FakeSlack, **extra: str) -> dict[str, str]:
    return {
        "ORGANISATION_FILE": ORG,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        **extra,
    }


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = FakeSlack()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def bot(
    schema_at_head: None, database_url: str, clock: ManualClock, fake: FakeSlack
) -> AsyncIterator[RunningApp]:
    async with running_app(database_url, clock=clock, env=slack_env(fake)) as app:
        yield app


@pytest.fixture
def slack(bot: RunningApp, http: aiohttp.ClientSession) -> SignedSlack:
    return SignedSlack(http, bot)


MakePerson = Callable[..., SlackUser]


@pytest.fixture
def person(slack: SignedSlack, fake: FakeSlack) -> MakePerson:
    """``person("U0JAN", "Jan Jansen", locale="en-GB", team="T0OTHER")``"""

    def make(user_id: str, name: str, *, locale: str = "nl-NL", team: str = TEAM) -> SlackUser:
        return SlackUser(slack, fake, user_id, name, locale=locale, team=team)

    return make


async def events_of(app: RunningApp, incident_id: str) -> list[Event]:
    async with app.runtime.require_store().transaction() as tx:
        return await tx.get_events(incident_id)


async def open_incident_ids(app: RunningApp) -> list[str]:
    async with app.runtime.require_store().transaction() as tx:
        return [i.id for i in [i for i in await tx.open_incidents() if i.tenant_id == "T0ACME"]]
