"""The view model: what the file says, read only from events."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.evidence import EvidenceError
from bot.evidence.csvexport import render_csv
from bot.evidence.model import StepState, Timeline
from bot.evidence.pdf import render_pdf
from bot.evidence.timeline import build_timeline
from bot.messages import Lang
from tests.evidence.chains import T0, Item, assessed, incident_items, link, playbook
from tests.evidence.conftest import pdf_pages

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def timeline_of(items: list[Item], *, lang: Lang | None = None, hours: float = 2) -> Timeline:
    return build_timeline(
        link("NR-TEST02", items),
        playbook=playbook(),
        organisation="Acme",
        tz=AMSTERDAM,
        generated_at=T0 + timedelta(hours=hours),
        lang=lang,
    )


def test_steps_come_from_the_recorded_plan_and_results() -> None:
    timeline = timeline_of(incident_items())
    states = {s.step_id: s for s in timeline.steps}
    assert [s.step_id for s in timeline.steps][:2] == ["call-bank", "preserve-evidence"]
    assert states["call-bank"].state is StepState.ON_TIME
    assert states["call-bank"].done == "10:09 door Jan"
    assert states["call-bank"].records[0].value == "RABO-1"
    assert states["preserve-evidence"].state is StepState.OVERDUE
    assert states["preserve-evidence"].result == "open, 1 u 30 min over de deadline"
    assert states["ap-assessment"].state is StepState.OPEN
    assert states["ap-assessment"].deadline == "ma 23 nov 10:00 (+3 d)"


def test_facts_not_known_or_not_asked_say_so() -> None:
    facts = {row.key: row.value for row in timeline_of(incident_items()).summary.facts}
    assert facts["amount"] == "€ 12.500,00"
    assert facts["beneficiary_iban"] == "nog niet bekend"
    assert facts["paid_at"] == "niet gevraagd"


def test_english_file_of_a_dutch_incident() -> None:
    timeline = timeline_of(incident_items(), lang="en")
    facts = {row.key: row.value for row in timeline.summary.facts}
    assert facts["amount"] == "€12,500.00"
    assert facts["request_channel"] == "Invoice with a different account number"
    assert timeline.summary.title == "We may have paid a fraudster"
    assert timeline.events[0].text.startswith("Incident opened: We may have paid a fraudster.")


def test_without_an_assessment_the_ap_decision_reads_not_assessed_yet() -> None:
    rows = timeline_of(incident_items()).summary.ap_rows
    assert [(r.label, r.value) for r in rows] == [("Besluit", "nog niet beoordeeld")]


def test_a_recorded_assessment_fills_the_ap_section() -> None:
    timeline = timeline_of(incident_items(extra=[assessed(notify=True)]), hours=30)
    rows = {r.label: r.value for r in timeline.summary.ap_rows}
    assert rows["Besluit"] == "gemeld bij de AP op za 21 nov 2026 09:30, meldnummer AP-2026-0042"
    assert rows["Risico voor betrokkenen"] == "risico; zij worden niet geïnformeerd"
    assert rows["Persoonsgegevens betrokken"] == (
        "ja — namen, e-mailadressen, IBAN's — van klanten (ongeveer 250)"
    )
    assert rows["Beoordeeld"] == "za 21 nov 2026 06:00 door Jan"
    assert timeline.events[-1].text.startswith("AP-beoordeling vastgelegd: gemeld bij de AP")


def test_an_event_kind_from_a_later_version_is_shown_raw() -> None:
    later = (timedelta(minutes=20), "Jan", "evidence_uploaded", {"file": "mail.eml"})
    timeline = timeline_of(incident_items(extra=[later]))
    assert timeline.events[-1].text == 'evidence_uploaded: {"file": "mail.eml"}'


def test_assigning_snoozing_closing_and_reopening_are_told() -> None:
    minute = timedelta(minutes=1)
    later: list[Item] = [
        (20 * minute, "Jan", "step_assigned", {
            "step": "police-report", "previous": "web:acme:jan", "to": "web:acme:piet",
            "to_name": "Piet",
        }),
        (21 * minute, "Piet", "reminder_snoozed", {
            "step": "police-report", "until": (T0 + 50 * minute).isoformat(),
            "reason": "wacht op de bank", "recipients": ["web:acme:piet"], "reminders": 2,
        }),
        (22 * minute, "Jan", "lead_changed", {"previous": "web:acme:jan", "to": "web:acme:mira",
                                              "to_name": "Mira"}),
        (23 * minute, "Jan", "evidence_added", {
            "evidence_text": "Nieuw rekeningnummer: DE89...", "evidence_author": "CFO",
            "evidence_time": "2026-11-19 16:02", "evidence_permalink": "https://x.example/p1",
        }),
        (30 * minute, "Mira", "incident_closed", {
            "forced": True, "reason": "bank heeft het geld terug", "open_steps": ["alert-it"],
        }),
    ]  # fmt: skip
    closed = timeline_of(incident_items(extra=later))
    texts = [line.text for line in closed.events[-5:]]
    assert texts == [
        "Toegewezen: Doe aangifte bij de politie, aan Piet.",
        "Herinneringen uitgesteld tot 10:50: Doe aangifte bij de politie. Reden: wacht op de bank",
        "Mira heeft nu de leiding.",
        "Bewijs vastgelegd: bericht van CFO (2026-11-19 16:02): “Nieuw rekeningnummer: DE89...”"
        " https://x.example/p1",
        "Incident gesloten. Met 1 stappen nog open. Reden: bank heeft het geld terug",
    ]
    status = {row.label: row.value for row in closed.summary.incident}["Status"]
    assert status == "gesloten op vr 20 nov 2026 10:30: bank heeft het geld terug"
    police = next(s for s in closed.steps if s.step_id == "police-report")
    assert police.notes[:1] == ("10:20 toegewezen aan Piet",)
    assert closed.until == T0 + 30 * minute  # open steps stop counting when it closed
    reopened = timeline_of(
        incident_items(extra=[*later, (40 * minute, "Mira", "incident_reopened", {})])
    )
    assert reopened.summary.closed_at is None and reopened.until == reopened.generated_at


def test_events_that_are_not_an_incident_are_refused() -> None:
    with pytest.raises(EvidenceError):
        timeline_of(incident_items()[1:])


def test_csv_cells_never_run_as_formulas() -> None:
    evil = (timedelta(minutes=5), "=HYPERLINK(1)", "participant_joined", {"role": "colleague"})
    data = render_csv(timeline_of(incident_items(extra=[evil]), lang="en"))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[-1][3] == "'=HYPERLINK(1)" and rows[-1][5].startswith("'=HYPERLINK(1) joined")


def test_pdf_without_the_fonts_says_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match="fonts-dejavu-core"):
        render_pdf(timeline_of(incident_items()), font_dir=tmp_path)


def test_long_text_wraps_and_never_leaves_the_page(tmp_path: Path) -> None:
    essay = "x" * 300 + " " + " ".join(["onverwacht"] * 400)  # a word wider than a line
    items = incident_items()
    items[0][3]["reported_text"] = essay
    pages = pdf_pages(render_pdf(timeline_of(items)), tmp_path)
    assert all("NR-TEST02" in page for page in pages)
    assert "…" in "\n".join(pages)
