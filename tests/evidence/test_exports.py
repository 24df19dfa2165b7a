"""A real incident, recorded through the web chat, exported as PDF, JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path

from bot.evidence.csvexport import render_csv
from bot.evidence.jsonexport import event_json, render_json
from bot.evidence.pdf import render_pdf
from bot.evidence.verify import verify_document
from bot.ports import FactStatus, StepStatus
from tests.evidence import scenario
from tests.evidence.conftest import evidence_of, pdf_pages
from tests.evidence.scenario import Recorded
from tests.evidence.schema_check import validate

SCHEMA = Path(__file__).resolve().parent.parent.parent / "docs" / "evidence-schema.json"


async def test_pdf_says_what_a_police_officer_asks_first(
    recorded: Recorded, tmp_path: Path
) -> None:
    evidence = await evidence_of(recorded)
    pages = pdf_pages(render_pdf(evidence.timeline), tmp_path)
    assert len(pages) > 1
    for number, page in enumerate(pages, start=1):
        assert recorded.incident_id in page
        assert f"pagina {number} van {len(pages)}" in page
        assert "gemaakt vr 20 nov 2026 11:23" in page
    first = pages[0]
    for expected in (
        "Bakkerij Acme B.V.",
        "€ 12.500,00",
        scenario.IBAN,
        scenario.BENEFICIARY,
        "Factuur met een ander rekeningnummer",
        scenario.BANK_CASE,
        scenario.POLICE_REPORT,
        scenario.IT_TICKET,
        "nog niet beoordeeld",
        "Piet de Vries (collega)",
        evidence.events[-1].hash,
    ):
        assert expected in first, expected
    everything = "\n".join(pages)
    for expected in ("10 min te laat", "15 min te laat", "op tijd", "overgeslagen", "open"):
        assert expected in everything
    assert scenario.SKIP_REASON in everything  # ë and é survive the round trip
    assert "De eerste uren in beeld" in everything
    assert "2026-11-20 09:07:00Z" in everything and "20-11-2026 10:07:00 CET" in everything
    assert "python app.py verify" in pages[-1]


async def test_json_verifies_against_its_schema_and_csv_has_a_row_per_event(
    recorded: Recorded,
) -> None:
    evidence = await evidence_of(recorded)
    document = json.loads(render_json(evidence.events, timeline=evidence.timeline))
    validate(document, json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert document["events"] == [event_json(e) for e in evidence.events]
    assert document["chain"]["final_hash"] == evidence.events[-1].hash
    assert document["incident"]["id"] == recorded.incident_id
    verdict = verify_document(document)
    assert verdict.intact and verdict.final_hash == evidence.events[-1].hash

    data = render_csv(evidence.timeline)
    assert data.startswith("\ufeff".encode())  # or Excel shows "ZoÃ«"
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) - 1 == len(evidence.events)
    by_seq = {int(row[0]): row for row in rows[1:]}
    skipped = next(e for e in evidence.events if e.kind == "step_skipped")
    assert scenario.SKIP_REASON in by_seq[skipped.seq][5]
    assert json.loads(by_seq[skipped.seq][6]) == skipped.data
    assert by_seq[skipped.seq][7] == skipped.hash


async def test_export_shows_what_was_recorded_whatever_the_tables_say_now(
    recorded: Recorded, tmp_path: Path
) -> None:
    store = recorded.app.runtime.require_store()
    async with store.transaction() as tx:
        step = await tx.get_step(recorded.incident_id, "call-bank")
        assert step is not None
        changed = replace(step, status=StepStatus.OPEN, records={"bank_case_number": "CHANGED-999"})
        changed.version = step.version + 1
        assert await tx.update_step(changed, expected_version=step.version)
        fact = (await tx.get_facts(recorded.incident_id))["amount"]
        await tx.set_fact(replace(fact, status=FactStatus.ANSWERED, value="1.00 EUR"))
    evidence = await evidence_of(recorded)
    text = "\n".join(pdf_pages(render_pdf(evidence.timeline), tmp_path))
    assert scenario.BANK_CASE in text and "€ 12.500,00" in text
    assert "CHANGED-999" not in text and "€ 1,00" not in text
    bank = next(s for s in evidence.timeline.steps if s.step_id == "call-bank")
    assert bank.result == "op tijd" and bank.done.startswith("10:07")
