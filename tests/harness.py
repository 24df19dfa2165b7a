"""The real Noodrem app on a real loopback port, for end-to-end tests."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web

from app import RUNTIME, Runtime, build_app
from bot.config import Settings
from bot.evidence.workers import DrawingProcesses
from bot.messages import decode_action, encode_action
from bot.ports import Clock

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_ORGANISATION = str(ROOT / "tests" / "fixtures" / "organisation.yaml")
# The worker that draws the chat's evidence files, one for every app the tests serve: a
# worker's start is a second of CPU, and dozens of tests export. Closed at the session's
# end (conftest.py); a test that kills it gets a new one at the next export, as an app does.
DRAWINGS = DrawingProcesses()
"""The organisation file the end-to-end tests run with (its managers, bank, IT provider)."""
FRIDAY_MORNING = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
"""When the ``clock`` fixture starts: a Friday, 10:00 in Amsterdam (office hours)."""


@dataclass
class RunningApp:
    url: str
    runtime: Runtime

    async def run_reminders(self) -> int:
        """What the scheduler does when it wakes: send every due reminder now."""
        assert self.runtime.reminders is not None
        return await self.runtime.reminders.run_due()

    async def run_digests(self) -> int:
        assert self.runtime.digests is not None
        return await self.runtime.digests.run_due()

    async def handled(self) -> None:
        """Return once the app has finished handling every request it answered so far.

        Slack's listeners run after the 200 (Bolt acknowledges first); Teams answers when it
        is done. Waiting for this instead of for a quiet period is exact: what a request
        makes the app do has happened when it returns, and nothing more will.
        """
        from bot.channels.slack import SlackChannel  # the Slack SDK only where Slack is on

        await asyncio.sleep(0)  # a listener Bolt scheduled with the 200 takes its first step
        for platform in self.runtime.platforms:
            if isinstance(platform, SlackChannel):
                await platform.idle()


@asynccontextmanager
async def running_app(
    database_url: str,
    *,
    clock: Clock | None = None,
    env: Mapping[str, str] | None = None,
    start_scheduler: bool = False,
    wait_for_recognizer: bool = True,
) -> AsyncIterator[RunningApp]:
    """Serve the app on 127.0.0.1 and a free port; yields its URL and runtime.

    The scheduler is off by default so tests decide when reminders run (with a
    ``ManualClock`` they also decide what time it is).
    """
    values = {"DATABASE_URL": database_url, "PLAYBOOKS_DIR": str(ROOT / "playbooks"), **(env or {})}
    settings = Settings.from_env(values)
    app = build_app(settings, clock=clock, start_scheduler=start_scheduler, drawings=DRAWINGS)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    runtime = app[RUNTIME]
    if wait_for_recognizer:  # its training is cached: once a process
        await runtime.recognizer_ready()
    try:
        yield RunningApp(url=f"http://{host}:{port}", runtime=runtime)
    finally:
        await runner.cleanup()


def incident_named(raw: str) -> str | None:
    """The incident an encoded button names, if its kind names one."""
    return getattr(decode_action(raw), "incident_id", None)


def naming_incident(raw: str, incident_id: str) -> str:
    """The same encoded button, naming another incident (to try someone else's)."""
    return encode_action(dataclasses.replace(decode_action(raw), incident_id=incident_id))  # type: ignore[type-var,arg-type,unused-ignore]
