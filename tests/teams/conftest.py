"""Fixtures for the Teams tests: the real app with Teams on (``TEAMS_LOCAL=1``, loopback),
a fake Bot Connector that records what the bot sends, and people who talk to the bot.

``database_url`` (from ``tests/conftest.py``) runs every test on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.clock import ManualClock
from tests.harness import RunningApp, running_app
from tests.teams.fakes import (
    LOCAL,
    START,
    Conversation,
    FakeConnector,
    People,
    TeamsUser,
    personal_chat,
)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    fake = FakeConnector()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def bot(
    schema_at_head: None, database_url: str, clock: ManualClock
) -> AsyncIterator[RunningApp]:
    async with running_app(database_url, clock=clock, env=LOCAL) as app:
        yield app


@pytest.fixture
def person(bot: RunningApp, connector: FakeConnector, http: aiohttp.ClientSession) -> People:
    """``person("Jan")``: someone in their own personal chat with the bot (Dutch Teams);
    pass ``conversation=`` to put them in a channel, ``locale="en-US"`` for English."""

    def make(name: str, *, conversation: Conversation | None = None, **options: Any) -> TeamsUser:
        return TeamsUser(
            http,
            bot_url=bot.url,
            connector=connector,
            name=name,
            conversation=conversation or personal_chat(),
            **options,
        )

    return make
