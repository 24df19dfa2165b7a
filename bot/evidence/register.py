"""The breach register (datalekregister) that Art. 33(5) GDPR requires of every organisation.

Every incident goes in, whether it was reported to the AP or not: what happened, when,
which data about whom, the consequences, the measures taken and the decision with its
reason. It is read from the ``ap_assessed`` events through the same view model as the
evidence file; an incident not assessed yet says so, which is itself worth seeing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.evidence.ap import ap_decision, consequences_text
from bot.evidence.csvexport import BOM, delimiter, safe
from bot.evidence.model import Row, StepState, Timeline
from bot.evidence.texts import local_long, say
from bot.messages import Lang

COLUMNS = (  # (text key of the label, Entry attribute)
    ("incident_id", "incident_id"),
    ("organisation", "organisation"),
    ("reg_what", "what"),
    ("reg_when", "when"),
    ("reg_data", "data"),
    ("reg_people", "people"),
    ("reg_consequences", "consequences"),
    ("reg_measures", "measures"),
    ("reg_decision", "decision"),
)


@dataclass(frozen=True, slots=True)
class Entry:
    """One incident in the register, every field already in the register's language."""

    incident_id: str
    organisation: str
    reported_at: datetime
    what: str
    when: str
    data: str
    people: str
    consequences: str
    measures: str
    decision: str

    def rows(self, lang: Lang) -> tuple[Row, ...]:
        return tuple(Row(say(key, lang), str(getattr(self, name))) for key, name in COLUMNS)


def register_entry(timeline: Timeline) -> Entry:
    lang = timeline.lang
    summary = timeline.summary
    # Which facts say what happened and when is the playbook's to say (``breach_register``).
    what = "; ".join(
        [summary.title] + [f"{row.label}: {row.value}" for row in summary.register_what]
    )
    reported = local_long(summary.reported_at, tz=timeline.tz, lang=lang)
    when = "; ".join(
        [say("reg_when_value", lang, reported=reported)]
        + [f"{row.label}: {row.value}" for row in summary.register_when]
    )
    done = [s.title for s in timeline.steps if s.state in (StepState.ON_TIME, StepState.LATE)]
    steps = say("reg_steps_done", lang, steps=", ".join(done)) if done else ""
    ap = summary.ap
    decision = ap_decision(ap, tz=timeline.tz, lang=lang)
    if ap is None:
        return Entry(
            incident_id=timeline.incident_id,
            organisation=summary.organisation,
            reported_at=summary.reported_at,
            what=what,
            when=when,
            data="—",
            people="—",
            consequences="—",
            measures=steps or "—",
            decision=decision,
        )
    personal = say(ap.personal, lang)
    people = ap.whose + (f" ({ap.how_many})" if ap.how_many else "")
    return Entry(
        incident_id=timeline.incident_id,
        organisation=summary.organisation,
        reported_at=summary.reported_at,
        what=what,
        when=when,
        data=" — ".join(p for p in (f"{say('ap_involved', lang)}: {personal}", ap.which_data) if p),
        people=people or "—",
        consequences=consequences_text(ap, lang),
        measures=". ".join(part for part in (ap.measures, steps) if part) or "—",
        decision=". ".join(part for part in (decision, ap.reason, ap.delay_reason) if part),
    )


def render_register_csv(entries: Sequence[Entry], *, lang: Lang) -> bytes:
    """UTF-8 with BOM, ";" in Dutch: the same spreadsheet rules as the timeline CSV."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter(lang), lineterminator="\r\n")
    writer.writerow([say("reported_at", lang) + " (UTC)", *(say(key, lang) for key, _ in COLUMNS)])
    for entry in entries:
        at = entry.reported_at.strftime("%Y-%m-%d %H:%M:%SZ")
        writer.writerow([at, *(safe(row.value) for row in entry.rows(lang))])
    return (BOM + out.getvalue()).encode("utf-8")


def render_register_pdf(
    entries: Sequence[Entry],
    *,
    lang: Lang,
    generated_at: datetime,
    tz: ZoneInfo,
    font_dir: Path | None = None,
) -> bytes:
    """Landscape A4, one block per incident, oldest first."""
    from bot.evidence.pdfbase import SANS, EvidencePdf  # fpdf2: only when a PDF is asked for

    generated = local_long(generated_at, tz=tz, lang=lang)
    pdf = EvidencePdf(
        header_text=say("register_title", lang),
        footer_text=lambda page, pages: say(
            "footer_register", lang, time=generated, page=page, pages=pages
        ),
        title=say("register_title", lang),
        created_at=generated_at,
        font_dir=font_dir,
        orientation="landscape",
    )
    pdf.add_page()
    pdf.set_font(SANS, "B", 15)
    pdf.cell(0, 8, say("register_title", lang))
    pdf.ln(9)
    pdf.paragraph(say("register_generated", lang, time=generated))
    pdf.ln(3)
    if not entries:
        pdf.paragraph(say("register_empty", lang))
    for entry in entries:
        pdf.heading(f"{entry.incident_id} · {local_long(entry.reported_at, tz=tz, lang=lang)}")
        pdf.rows(entry.rows(lang))
    return pdf.finish()
