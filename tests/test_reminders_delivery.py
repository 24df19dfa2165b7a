"""Deadlines due shortly after a restart go out on time, not at the next poll."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import create_async_engine

from storage.models import DeadlineRow
from tests.harness import running_app
from tests.webclient import WebUser

ORG_FILE = Path(__file__).parent / "fixtures" / "organisation.yaml"
# The poll runs every 30 s (the default) and once at start, before the deadline is due:
# only the exact wake-up can deliver it within the test's window.
ENV = {"ORGANISATION_FILE": str(ORG_FILE)}


async def _bring_forward(database_url: str, due_at: datetime) -> None:
    """Make the earliest pending deadline fall due at ``due_at`` (as if time had passed)."""
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            first = await conn.scalar(
                select(DeadlineRow.id).order_by(DeadlineRow.due_at, DeadlineRow.id).limit(1)
            )
            await conn.execute(
                update(DeadlineRow).where(DeadlineRow.id == first).values(due_at=due_at)
            )
    finally:
        await engine.dispose()


async def test_a_deadline_due_after_a_restart_fires_on_time(database_url: str) -> None:
    async with (
        running_app(database_url, env=ENV) as bot,
        aiohttp.ClientSession() as http,
    ):
        jan = WebUser(http, bot.url, "Jan")
        await jan.say("ik denk dat we een oplichter hebben betaald")
        await jan.press("Ja")
        await jan.inbox()
        user_id = jan.user_id

    due_at = datetime.now(UTC) + timedelta(seconds=2)
    await _bring_forward(database_url, due_at)

    async with (
        running_app(database_url, env=ENV, start_scheduler=True) as bot,
        aiohttp.ClientSession() as http,
    ):
        jan = WebUser(http, bot.url, "Jan", user_id=user_id)
        await jan.inbox()  # what the first session left behind
        deadline = time.monotonic() + 10
        arrived: list[object] = []
        while not arrived and time.monotonic() < deadline:
            arrived = list(await jan.inbox(wait=5))  # long poll: returns when one arrives
        at = datetime.now(UTC)
    assert arrived, "the reminder never came"
    lateness = (at - due_at).total_seconds()
    assert -0.05 <= lateness <= 1.5, f"arrived {lateness:.3f} s from its due time"
