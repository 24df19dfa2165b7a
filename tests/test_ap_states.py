"""The AP assessment's honest states, end to end over the web chat (SQLite and PostgreSQL).

Each state the person chooses is recorded as that state, and the PDF (fetched over the
chat's signed link), the JSON and the breach register say exactly that: "not yet" never
reads as "gemeld", a typed "nog niet gemeld" is never kept as a number, a future time or
one before the incident is refused, and "decided to notify" keeps the reminders coming.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.clock import ManualClock
from bot.evidence.jsonexport import render_json
from bot.evidence.register import register_entry, render_register_csv
from bot.evidence.source import read_evidence
from bot.ports import Event, StepStatus
from tests.harness import FRIDAY_MORNING, RunningApp
from tests.webclient import WebUser, texts

AP_STEP = "ap-assessment"  # a shipped plan's step, named by the test, never by bot/


@dataclass
class Outputs:
    """What a reader of the evidence sees: the PDF's text, the JSON, the register row."""

    pdf: str
    json_state: str | None
    register_decision: str
    register_csv: str


async def events_of(app: RunningApp, incident_id: str) -> list[Event]:
    async with app.runtime.require_store().transaction() as tx:
        return await tx.get_events(incident_id)


def pdf_text(data: bytes, tmp_path: Path) -> str:
    """The PDF's words as poppler reads them, whitespace collapsed (lines wrap anywhere)."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "file.pdf"
    path.write_bytes(data)
    out = subprocess.run(
        ["pdftotext", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return " ".join(out.split())


async def outputs(
    app: RunningApp,
    http: aiohttp.ClientSession,
    user: WebUser,
    incident_id: str,
    tmp_path: Path,
    clock: ManualClock,
) -> Outputs:
    exported = await user.say(f"export {incident_id}")
    link = exported[-1]["attachment"]["url"]
    async with http.get(app.url + link) as response:
        assert response.status == 200
        pdf = pdf_text(await response.read(), tmp_path)
    runtime = app.runtime
    async with runtime.require_store().transaction() as tx:
        evidence = await read_evidence(
            tx,
            incident_id,
            organisations=runtime.organisations,
            playbooks=runtime.playbooks,
            generated_at=clock.now(),
        )
    head = json.loads(render_json(evidence.events, timeline=evidence.timeline))
    entry = register_entry(evidence.timeline)
    csv = render_register_csv([entry], lang=evidence.timeline.lang).decode("utf-8-sig")
    return Outputs(
        pdf=pdf,
        json_state=head["incident"]["ap_state"],
        register_decision=entry.decision,
        register_csv=csv,
    )


async def open_assessment(user: WebUser) -> str:
    """Open an incident and go straight to the AP step; no personal data, to keep it short."""
    await user.say("volgens mij hebben we een oplichter betaald")
    opened = await user.press("Ja")
    incident_id = next(m["incident_id"] for m in opened if m.get("incident_id"))
    await user.say("status")
    await user.press("▶ Beoordeel")
    await user.press("Gedaan")
    asked = await user.press("Nee")  # could personal data be seen: no
    assert "Besluit: meld je het datalek bij de AP?" in texts(asked)
    return incident_id


async def finish(user: WebUser) -> list[dict]:
    await user.press("Nee")  # the people concerned need not be told
    return await user.submit("wachtwoorden gewijzigd")


async def ap_step_status(app: RunningApp, incident_id: str) -> StepStatus:
    async with app.runtime.require_store().transaction() as tx:
        step = await tx.get_step(incident_id, AP_STEP)
    assert step is not None
    return step.status


def assessed(events: list[Event]) -> list[dict]:
    return [e.data for e in events if e.kind == "ap_assessed"]


async def test_notified_says_number_and_time(
    bot: RunningApp, http: aiohttp.ClientSession, clock: ManualClock, tmp_path: Path
) -> None:
    jan = WebUser(http, bot.url, "Jan")
    incident = await open_assessment(jan)
    clock.advance(timedelta(minutes=20))
    await jan.press("Ja, al gemeld")
    await jan.submit("AP-2026-000123")
    await jan.submit("vandaag 10:10")
    await finish(jan)
    assert await ap_step_status(bot, incident) is StepStatus.DONE
    [data] = assessed(await events_of(bot, incident))
    assert data["ap_state"] == "notified" and data["ap_notification_number"] == "AP-2026-000123"
    said = "gemeld bij de AP op vr 20 nov 2026 10:10, meldnummer AP-2026-000123"
    out = await outputs(bot, http, jan, incident, tmp_path, clock)
    assert said in out.pdf and out.register_decision == said and said in out.register_csv
    assert out.json_state == "notified"
    assert "voorlopig" not in out.pdf and "nog niet gemeld" not in out.pdf


async def test_provisional_says_it_is_still_to_be_completed(
    bot: RunningApp, http: aiohttp.ClientSession, clock: ManualClock, tmp_path: Path
) -> None:
    jan = WebUser(http, bot.url, "Jan")
    incident = await open_assessment(jan)
    clock.advance(timedelta(minutes=20))
    await jan.press("Voorlopig gemeld")
    await jan.submit("AP-2026-000124")
    await jan.submit("vandaag 10:05")
    done = await finish(jan)
    assert "later aan te vullen" in texts(done)
    assert await ap_step_status(bot, incident) is StepStatus.DONE
    said = (
        "voorlopig gemeld bij de AP op vr 20 nov 2026 10:05, meldnummer AP-2026-000124; "
        "de melding moet nog worden aangevuld"
    )
    out = await outputs(bot, http, jan, incident, tmp_path, clock)
    assert said in out.pdf and out.register_decision == said
    assert out.json_state == "provisional"


async def test_not_notifying_needs_the_reason_and_says_it(
    bot: RunningApp, http: aiohttp.ClientSession, clock: ManualClock, tmp_path: Path
) -> None:
    jan = WebUser(http, bot.url, "Jan")
    incident = await open_assessment(jan)
    asked = await jan.press("Nee, niet melden")
    assert "Waarom meld je niet?" in texts(asked)
    nothing = await jan.submit("")
    assert "Waarom meld je niet?" in texts(nothing), "the reason is required"
    await jan.submit("geen persoonsgegevens, alleen een betaling")
    await finish(jan)
    assert await ap_step_status(bot, incident) is StepStatus.DONE
    out = await outputs(bot, http, jan, incident, tmp_path, clock)
    assert out.register_decision == (
        "besloten niet te melden bij de AP. geen persoonsgegevens, alleen een betaling"
    )
    assert "besloten niet te melden bij de AP" in out.pdf
    assert out.json_state == "not_notifying"
    assert "betrokkenen zij worden niet geïnformeerd" in out.pdf, "no risk asked: no '; '"
    assert "gemeld bij de AP op" not in out.pdf


async def test_not_yet_keeps_the_step_open_and_the_reminders_coming(
    bot: RunningApp, http: aiohttp.ClientSession, clock: ManualClock, tmp_path: Path
) -> None:
    jan = WebUser(http, bot.url, "Jan")
    incident = await open_assessment(jan)
    await jan.press("Ja, maar nog niet gemeld")
    recorded = await finish(jan)
    said = texts(recorded)
    assert "nog niet gedaan" in said and "De stap blijft open" in said
    assert "Ik herinner je eraan 48, 24 en 4 uur vóór de deadline" in said, said
    assert await ap_step_status(bot, incident) is StepStatus.OPEN
    [data] = assessed(await events_of(bot, incident))
    assert data["ap_state"] == "notify_later"
    assert data["ap_notification_number"] is None and data["notified_at"] is None
    out = await outputs(bot, http, jan, incident, tmp_path, clock)
    assert out.register_decision == "besloten te melden bij de AP, nog niet gemeld"
    assert "besloten te melden bij de AP, nog niet gemeld" in out.pdf
    assert "gemeld bij de AP op" not in out.pdf and "gemeld bij de AP op" not in out.register_csv
    assert out.json_state == "notify_later"

    # 24 hours before the 72 run out, the owner is reminded: the step is still open.
    await jan.inbox()
    clock.set(FRIDAY_MORNING + timedelta(hours=48, minutes=1))
    assert await bot.run_reminders() >= 1
    reminder = [m for m in await jan.inbox() if m["kind"] == "reminder"]
    assert reminder and "Beoordeel of je het datalek meldt bij de AP" in texts(reminder)
    sent = [
        e
        for e in await events_of(bot, incident)
        if e.kind == "delivery_attempted"
        and e.data["purpose"] == "reminder"
        and e.data["outcome"] == "delivered"
    ]
    assert sent and sent[-1].data["step"] == AP_STEP

    # Notifying later asks only the decision again; the rest of the assessment is kept.
    await jan.say("status")
    await jan.press("▶ Beoordeel")
    asked = await jan.press("Gedaan")
    assert "Besluit: meld je het datalek bij de AP?" in texts(asked[-1:])
    await jan.press("Ja, al gemeld")
    await jan.submit("AP-2026-000200")
    done = await jan.submit("vandaag 09:30")
    assert "Gedaan om" in texts(done)
    assert await ap_step_status(bot, incident) is StepStatus.DONE
    _, last = assessed(await events_of(bot, incident))
    assert last["ap_state"] == "notified" and last["measures"] == "wachtwoorden gewijzigd"
    out = await outputs(bot, http, jan, incident, tmp_path, clock)
    assert out.register_decision.startswith("gemeld bij de AP op zo 22 nov 2026 09:30")
    # the earlier decision stays on the timeline, as what it was
    assert "AP-beoordeling vastgelegd: besloten te melden bij de AP, nog niet gemeld" in out.pdf

    # Done: the reminders still planned for this step are dropped.
    clock.set(FRIDAY_MORNING + timedelta(hours=68, minutes=1))
    await bot.run_reminders()
    assert not [m for m in await jan.inbox() if m["kind"] == "reminder"]


@pytest.mark.parametrize("where", ["number", "time"])
async def test_typed_not_yet_is_never_a_number_and_never_gemeld(
    bot: RunningApp, http: aiohttp.ClientSession, clock: ManualClock, tmp_path: Path, where: str
) -> None:
    jan = WebUser(http, bot.url, "Jan")
    incident = await open_assessment(jan)
    await jan.press("Ja, al gemeld")
    if where == "time":
        await jan.submit("AP-2026-000123")
    understood = await jan.submit("nog niet gemeld")
    assert "Begrepen: nog niet gemeld" in texts(understood)
    await finish(jan)
    [data] = assessed(await events_of(bot, incident))
    assert data["ap_state"] == "notify_later"
    assert data["ap_notification_number"] is None and data["notified_at"] is None
    out = await outputs(bot, http, jan, incident, tmp_path, clock)
    for text in (out.pdf, out.register_csv):
        assert "gemeld bij de AP op" not in text and "meldnummer nog niet" not in text
    assert out.register_decision == "besloten te melden bij de AP, nog niet gemeld"


async def test_a_future_time_or_one_before_the_incident_is_refused(
    bot: RunningApp, http: aiohttp.ClientSession, clock: ManualClock
) -> None:
    jan = WebUser(http, bot.url, "Jan")
    incident = await open_assessment(jan)
    await jan.press("Ja, al gemeld")
    asked = await jan.submit("weet ik niet")
    assert asked[0]["kind"] == "error" and "geen cijfer" in texts(asked)
    assert [b["label"] for b in asked[-1]["buttons"]] == ["Nog niet gemeld"]
    await jan.submit("AP-2026-000123")
    future = await jan.submit("vandaag 14:00")
    assert future[0]["kind"] == "error" and "in de toekomst" in texts(future)
    before = await jan.submit("gisteren 09:00")
    assert before[0]["kind"] == "error" and "vóór de melding van dit incident" in texts(before)
    assert "Wanneer heb je gemeld?" in texts(before)
    await jan.submit("vandaag 10:00")
    await finish(jan)
    [data] = assessed(await events_of(bot, incident))
    assert data["notified_at"] == "2026-11-20T09:00:00.000000Z"
