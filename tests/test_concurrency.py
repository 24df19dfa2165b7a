"""Others' turns go on while an export is being drawn (issue 13).

The export's PDF is held in the middle of its drawing, inside the snapshot it streams the
timeline from (a gate before the first chunk of lines goes to the worker process that
draws it, ``Job.call(Drawing.draw, ...)``; not a sleep), while five other people type
``status``: none of them may wait for the export's snapshot, so all five get their
answer, and none an internal error, before the gate opens. Before the fix the export held
SQLite's write lock for the whole render and the five failed with "database is locked"
after the busy timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from bot.evidence.drawing import Drawing
from bot.evidence.workers import DrawingProcesses, _Remote
from bot.i18n import t
from tests.harness import FIXTURE_ORGANISATION, RunningApp, running_app
from tests.test_flow import open_incident
from tests.webclient import WebUser, texts

EXTRA_EVENTS = 300
GATE_SECONDS = 60  # only a bound for a broken run; a passing run opens the gate itself


@pytest.fixture
async def bot(schema_at_head: None, database_url: str) -> AsyncIterator[RunningApp]:
    async with running_app(database_url, env={"ORGANISATION_FILE": FIXTURE_ORGANISATION}) as app:
        yield app


async def test_status_of_five_others_during_an_export_gets_no_error(
    bot: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert isinstance(bot.runtime.drawings, DrawingProcesses)  # the chat's own drawer
    started, release = asyncio.Event(), asyncio.Event()
    real_call = _Remote.call

    async def gated_call(self: _Remote, step: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        if step is Drawing.draw and not started.is_set():
            started.set()
            await asyncio.wait_for(release.wait(), GATE_SECONDS)
        return await real_call(self, step, *args, **kw)

    monkeypatch.setattr(_Remote, "call", gated_call)
    async with aiohttp.ClientSession() as http:
        jan = WebUser(http, bot.url, "Jan")
        incident = await open_incident(jan)
        store = bot.runtime.require_store()
        async with store.transaction() as tx:
            await tx.get_incident(incident, lock=True)
            for n in range(EXTRA_EVENTS):
                await tx.append_event(
                    incident_id=incident,
                    at=bot.runtime.clock.now(),
                    actor=jan.user_id,
                    actor_name="Jan",
                    kind="step_blocked",
                    data={"step": "call-bank", "reason": f"bank in gesprek ({n})"},
                )
        exporting = asyncio.create_task(jan.say("export"))
        await asyncio.wait_for(started.wait(), GATE_SECONDS)  # the export is being drawn
        others = [WebUser(http, bot.url, f"Collega {n}") for n in range(5)]
        try:
            answers = await asyncio.gather(*(o.say("status") for o in others))
        finally:
            release.set()
        exported = await exporting

    internal = t("internal_error", "nl")
    for answer in answers:
        assert answer, "a status got no reply"
        assert internal not in texts(answer)
    attachments = [m["attachment"] for m in exported if m.get("attachment")]
    assert len(attachments) == 1 and attachments[0]["filename"].endswith(".pdf")
    async with store.transaction() as tx:
        events = await tx.get_events(incident)
    recorded = [e for e in events if e.kind == "evidence_exported"]
    assert len(recorded) == 1
    assert recorded[0].data["events"] == len(events) - 1  # all before it, none after
    assert recorded[0].data["final_hash"] == events[-2].hash
