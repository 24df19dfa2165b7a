"""Issue 12, points 3-5: one export rule, the file one tap away, page one answers first.

Everything through the web chat over HTTP (and the CLI) on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.clock import ManualClock
from bot.evidence.cli import Format, export_command, verify_command
from tests.evidence.conftest import pdf_pages
from tests.evidence.scenario import ORG, START, run_incident
from tests.harness import RunningApp, running_app
from tests.webclient import WebUser, texts


@pytest.fixture
async def chat(
    database_url: str,
) -> AsyncIterator[tuple[RunningApp, aiohttp.ClientSession, dict[str, WebUser]]]:
    clock = ManualClock(START)
    users: dict[str, WebUser] = {}
    async with (
        running_app(database_url, clock=clock, env={"ORGANISATION_FILE": ORG}) as app,
        aiohttp.ClientSession() as http,
    ):
        await run_incident(app, http, clock, users=users)
        yield app, http, users


def _file(messages: list[dict[str, Any]]) -> dict[str, Any]:
    found = [m["attachment"] for m in messages if m.get("attachment")]
    assert found, texts(messages)
    return found[-1]


async def _download(
    app: RunningApp, http: aiohttp.ClientSession, attachment: dict[str, Any]
) -> bytes:
    async with http.get(app.url + attachment["url"]) as response:
        assert response.status == 200
        return await response.read()


async def _exports(app: RunningApp, incident_id: str) -> list[Any]:
    async with app.runtime.require_store().transaction() as tx:
        events = await tx.get_events(incident_id)
    return [e for e in events if e.kind == "evidence_exported"]


async def test_two_exports_then_a_json_lists_both_hashes_and_closed_stays_exportable(
    chat: tuple[RunningApp, aiohttp.ClientSession, dict[str, WebUser]],
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app, http, users = chat
    jan, mira = users["jan"], users["mira"]
    helped = texts(await jan.say("help"))  # the help text, then the menu of plans
    assert "export" in helped and "lijst gesloten" in helped

    # 1. from the checklist's button: the reply and the file name what they cover
    status = await jan.say("status")
    incident_id = next(m["incident_id"] for m in status if m.get("incident_id"))
    first_reply = await jan.press("Dossier (PDF)")
    first = _file(first_reply)
    pages = pdf_pages(await _download(app, http, first), tmp_path)
    [pdf_export] = await _exports(app, incident_id)
    covered_seq, covered_hash = pdf_export.data["covers_seq"], pdf_export.data["final_hash"]
    assert pdf_export.data["via"] == "chat"
    assert f"{covered_hash[:16]}… (gebeurtenis 1 t/m {covered_seq})" in texts(first_reply)
    page_one = pages[0]
    for expected in (
        "Bakkerij Acme B.V.",
        "Gemaakt door",
        "Jan Jansen",
        "Gemaakt op",
        "Eigen rekening",
        "NL20 INGB 0001 2345 67",
        "Bank van de ontvanger",
        "Commerzbank",
        f"gebeurtenis 1 t/m {covered_seq}",
        covered_hash,
    ):
        assert expected in page_one, expected

    # 2. typed, a second PDF: it covers the first export's event too
    second = _file(await jan.say("export"))
    assert second["url"] != first["url"]
    exports = await _exports(app, incident_id)
    assert [e.data["covers_seq"] for e in exports] == [covered_seq, covered_seq + 1]

    # 3. the CLI's JSON later: recorded too, and verify finds both PDFs' hashes
    out = tmp_path / "later.json"
    code = await export_command(
        app.runtime.require_store(),
        organisations=app.runtime.organisations,
        playbooks=app.runtime.playbooks,
        incident_id=incident_id,
        fmt=Format.JSON,
        out=out,
        by="beheerder",
    )
    assert code == 0
    capsys.readouterr()
    assert verify_command(out) == 0
    said = capsys.readouterr().out
    assert said.startswith("intact: ")
    for export in exports:
        line = f"covers event {export.data['covers_seq']}, hash {export.data['final_hash']}"
        assert line in said
    assert "NOT" not in said
    cli = (await _exports(app, incident_id))[-1]
    assert cli.data["via"] == "cli" and cli.actor_name == "beheerder"
    assert json.loads(out.read_bytes())["chain"]["event_count"] == cli.data["covers_seq"]

    # 4. closed: "lijst" says where the closed ones are, "lijst gesloten" has the button
    await mira.say(f"doe mee {incident_id}")
    await mira.say("status")
    await mira.press("Incident sluiten")
    await mira.press("Ja, sluiten")
    closed = await mira.submit("afgehandeld met de bank")
    assert f"Incident {incident_id} is gesloten" in texts(closed)
    listed = texts(await jan.say("lijst"))
    assert "geen open incidenten" in listed and "lijst gesloten" in listed
    closed_list = await jan.say("lijst gesloten")
    assert incident_id in texts(closed_list)
    third = _file(await jan.press(f"Dossier (PDF) {incident_id}"))
    assert (await _download(app, http, third)).startswith(b"%PDF")
    fourth = _file(await jan.say("export"))  # no open incident: the closed one he was in
    assert fourth["url"] != third["url"]
    vias = [e.data["via"] for e in await _exports(app, incident_id)]
    assert vias == ["chat", "chat", "cli", "chat", "chat"]

    stranger = WebUser(http, app.url, "Buitenstaander")
    assert "geen gesloten incidenten" in texts(await stranger.say("list closed"))
    assert "NR-" not in texts(await stranger.say("export")).replace("NR-…", "")


async def test_the_all_done_message_has_the_export_button(
    chat: tuple[RunningApp, aiohttp.ClientSession, dict[str, WebUser]],
) -> None:
    users = chat[2]
    jan = users["jan"]
    said: list[dict[str, Any]] = []
    for _ in range(12):  # skip what is left, one step at a time, until all are closed
        status = await jan.say("status")
        steps = [b["label"] for m in status for b in m.get("buttons", []) if b["label"][:1] == "▶"]
        if not steps:
            break
        await jan.press(steps[0])
        await jan.press("Overslaan")
        said = await jan.submit("niet van toepassing bij ons")
    done = [m for m in said if "Alle stappen zijn afgerond" in (m.get("text") or "")]
    assert done, texts(said)
    assert "*export*" in done[-1]["text"]
    assert [b["label"] for b in done[-1]["buttons"]] == ["Dossier (PDF)"]
    assert _file(await jan.press("Dossier (PDF)"))["filename"].endswith(".pdf")
