"""A second, test-only playbook (``tests/fixtures/playbooks/lost-laptop.yaml``) with its
own facts and its own breach assessment, driven through the real web chat over HTTP.

The evidence layer must read what the playbook declares: the register row, the PDF's
first page and the CSV say "personal data involved: yes" when the person answered yes,
with the plan's own labels, and leave out what the plan keeps off the first page.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import timedelta
from functools import partial
from pathlib import Path

import aiohttp
import pytest

from bot.clock import ManualClock
from bot.evidence.cli import Format, register_command
from bot.evidence.csvexport import render_csv
from bot.evidence.pdf import render_pdf
from bot.evidence.register import register_entry
from bot.organisation_file import load_organisations
from bot.playbook import load_playbooks
from tests.evidence.conftest import GENERATED, evidence_of, pdf_pages
from tests.evidence.scenario import ORG, START, Recorded
from tests.harness import running_app
from tests.webclient import WebUser

PLAYBOOKS = Path(__file__).resolve().parent.parent / "fixtures" / "playbooks"
DEVICE = "ThinkPad T14 van Zoë"
LAST_USER = "Zoë de Boer"


async def _lost_laptop(app_url: str, http: aiohttp.ClientSession, clock: ManualClock) -> str:
    jan = WebUser(http, app_url, "Jan Jansen")
    await jan.say("onze laptop gestolen uit de auto")
    opened = await jan.press("Ja")
    incident_id = next(m["incident_id"] for m in opened if m.get("incident_id"))
    await jan.say(DEVICE)
    await jan.press("Ja")  # the disk is encrypted
    await jan.say("vandaag 09:15")
    await jan.say(LAST_USER)
    clock.advance(timedelta(minutes=20))
    await jan.press("Gedaan")
    await jan.submit("ITH-77")
    await jan.press("Gedaan")  # the assessment, one answer at a time
    await jan.press("Ja")  # personal data was on it
    await jan.submit("namen en adressen van klanten")
    await jan.submit("klanten")
    await jan.submit("ongeveer 40")
    await jan.press("Klein")
    await jan.press("Gemeld")  # reported to the AP
    await jan.submit("AP-2026-000777")
    await jan.submit("vandaag 10:10")
    await jan.press("Ja")  # the people are told
    await jan.submit("laptop gewist, wachtwoorden gewijzigd")
    return incident_id


@pytest.fixture
async def recorded(schema_at_head: None, database_url: str) -> AsyncIterator[Recorded]:
    clock = ManualClock(START)
    env = {"ORGANISATION_FILE": ORG, "PLAYBOOKS_DIR": str(PLAYBOOKS)}
    async with (
        running_app(database_url, clock=clock, env=env) as app,
        aiohttp.ClientSession() as http,
    ):
        incident_id = await _lost_laptop(app.url, http, clock)
        yield Recorded(app=app, incident_id=incident_id)


async def test_the_register_row_reads_the_plans_own_assessment(recorded: Recorded) -> None:
    evidence = await evidence_of(recorded, lang="en")
    entry = register_entry(evidence.timeline)
    assert entry.data == "Personal data involved: yes — namen en adressen van klanten"
    assert entry.people == "klanten (ongeveer 40)"
    assert entry.what == (f"A laptop is lost; Device: {DEVICE}; Disk encrypted: yes")
    assert (
        entry.when == "reported to Noodrem Fri 20 Nov 2026 10:00; Lost since: Fri 20 Nov 2026 09:15"
    )
    assert entry.consequences == "Small, the disk is encrypted; they are told (Art. 34)"
    assert entry.decision.startswith("notified to the AP at Fri 20 Nov 2026 10:10")
    assert "AP-2026-000777" in entry.decision
    assert entry.measures.startswith("laptop gewist, wachtwoorden gewijzigd")


async def test_the_pdf_first_page_has_the_plans_facts_and_labels(
    recorded: Recorded, tmp_path: Path
) -> None:
    evidence = await evidence_of(recorded)
    first = pdf_pages(render_pdf(evidence.timeline), tmp_path)[0]
    assert "Gegevens van het apparaat" in first
    assert "Gegevens van de betaling" not in first
    for expected in ("Apparaat", DEVICE, "Schijf versleuteld", "Kwijt sinds", "ITH-77"):
        assert expected in first, expected
    assert LAST_USER not in first  # first_page: false
    assert "Persoonsgegevens betrokken" in first
    line = next(line for line in first.splitlines() if "Persoonsgegevens betrokken" in line)
    assert "ja — namen en adressen van klanten" in line
    assert "onbekend" not in first


async def test_the_csv_and_the_register_command_agree(
    recorded: Recorded, database_url: str, tmp_path: Path
) -> None:
    evidence = await evidence_of(recorded)
    rows = list(
        csv.reader(io.StringIO(render_csv(evidence.timeline).decode("utf-8-sig")), delimiter=";")
    )
    assessed = next(row for row in rows if row[4] == "ap_assessed")
    assert "gemeld bij de AP" in assessed[5] and "AP-2026-000777" in assessed[5]
    facts = [row[5] for row in rows if row[4] == "fact_answered"]
    assert f"Apparaat: {DEVICE}" in facts and "Schijf versleuteld: ja" in facts

    register = partial(
        register_command,
        recorded.app.runtime.require_store(),
        organisations=load_organisations(Path(ORG)),
        playbooks=load_playbooks(PLAYBOOKS),
        now=GENERATED,
    )
    out = tmp_path / "register.csv"
    assert await register(fmt=Format.CSV, out=out, lang="en") == 0
    (row,) = csv.DictReader(io.StringIO(out.read_text("utf-8-sig")), delimiter=",")
    assert row["Incident id"] == recorded.incident_id
    assert row["Which data"] == "Personal data involved: yes — namen en adressen van klanten"
    assert row["About whom"] == "klanten (ongeveer 40)"
