"""The evidence file as a PDF for people: the police officer, the bank, the insurer.

Page 1 answers their first questions (what, when, how much, to whom, which case numbers,
the AP decision, who was involved); then the checklist, a picture of the first hours,
every event with local time and UTC, and the final hash with how to check it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from bot.evidence.model import EventLine, FollowUpState, Row, StepLine, StepState, Timeline
from bot.evidence.pdfbase import BLACK, GREY, MONO, SANS, EvidencePdf
from bot.evidence.picture import draw_first_hours
from bot.evidence.texts import say
from bot.messages import Lang

HEADINGS = FontFace(emphasis="BOLD", fill_color=(225, 225, 225))
TITLE = FontFace(emphasis="BOLD")
DETAILS = FontFace(size_pt=7.5, color=(60, 60, 60))
RESULT_FILL = {
    StepState.ON_TIME: (210, 237, 210),
    StepState.LATE: (246, 205, 205),
    StepState.OPEN: (252, 232, 200),
    StepState.OVERDUE: (252, 220, 180),
    StepState.BLOCKED: (252, 220, 180),
    StepState.SKIPPED: (228, 228, 228),
    StepState.NOT_APPLICABLE: (245, 245, 245),
}
FOLLOW_UP_FILL = {
    FollowUpState.DONE: RESULT_FILL[StepState.ON_TIME],
    FollowUpState.OPEN: RESULT_FILL[StepState.OPEN],
    FollowUpState.OVERDUE: RESULT_FILL[StepState.LATE],
}
# The widest text of the fixed timeline columns: seq, local time, UTC; then "who" in mm.
EVENT_SAMPLES = ("99999", "28-10-2026 02:59:59 CEST", "2026-10-28 00:59:59Z")
WHO_WIDTH = 27.0
PAD = 0.8
EVENT_SIZE = 7.0
EVENT_LINE = 3.1


def render_pdf(timeline: Timeline, *, font_dir: Path | None = None) -> bytes:
    """The whole file from a timeline with its lines; raises ``EvidenceError`` when the
    fonts are missing."""
    writer = PdfWriter(timeline, font_dir=font_dir)
    writer.add(timeline.events)
    return writer.finish()


class PdfWriter:
    """The PDF drawn as the timeline is read: the parts from the folded ``timeline`` at
    once, then the event lines a chunk at a time (``add``), then ``finish``. fpdf2 keeps
    the drawn pages until the end; the lines themselves are not kept."""

    def __init__(self, timeline: Timeline, *, font_dir: Path | None = None) -> None:
        lang = timeline.lang
        self.timeline = timeline
        self.pdf = pdf = EvidencePdf(
            header_text=f"{say('page_header', lang, incident_id=timeline.incident_id)}"
            f" · {timeline.summary.organisation}",
            footer_text=lambda page, pages: say(
                "page_footer",
                lang,
                incident_id=timeline.incident_id,
                time=timeline.generated,
                page=page,
                pages=pages,
            ),
            title=say("doc_title", lang, incident_id=timeline.incident_id),
            created_at=timeline.generated_at,
            font_dir=font_dir,
        )
        pdf.add_page()
        _summary(pdf, timeline)
        pdf.add_page()
        _checklist(pdf, timeline)
        if timeline.follow_ups:
            pdf.ln(4)
            _follow_ups(pdf, timeline)
        pdf.ln(6)
        draw_first_hours(pdf, timeline)
        if timeline.texts:
            pdf.add_page()
            _texts(pdf, timeline)
        pdf.add_page()
        self._events = _EventTable(pdf, lang)

    def add(self, lines: Iterable[EventLine]) -> None:
        self._events.add(lines)

    def finish(self) -> bytes:
        self.pdf.ln(4)
        _verification(self.pdf, self.timeline)
        return self.pdf.finish()


def _summary(pdf: EvidencePdf, timeline: Timeline) -> None:
    lang = timeline.lang
    summary = timeline.summary
    pdf.set_font(SANS, "B", 15)
    pdf.multi_cell(0, 7, summary.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(SANS, "", 10)
    pdf.set_text_color(*GREY)
    pdf.cell(0, 5, say("doc_title", lang, incident_id=timeline.incident_id))
    pdf.set_text_color(0, 0, 0)
    pdf.ln(7)
    pdf.heading(say("sec_incident", lang))
    pdf.rows(summary.incident)
    pdf.heading(summary.facts_heading)
    pdf.rows(summary.facts)
    for payment in summary.payments:  # what a bank asks first: where the money stands
        pdf.heading(say("sec_payments", lang))
        pdf.rows(payment.rows)
    pdf.heading(say("sec_records", lang))
    pdf.rows(summary.records)
    pdf.heading(say("sec_ap", lang))
    pdf.rows(summary.ap_rows)
    pdf.heading(say("sec_file", lang))
    pdf.rows(
        (
            Row(say("generated_by", lang), timeline.generated_by or "—"),
            Row(say("generated_at", lang), timeline.generated),
        )
    )
    pdf.heading(say("sec_verify", lang))
    pdf.rows(
        (
            Row(say("events_count", lang), str(timeline.event_count)),
            Row(
                say("covers_label", lang),
                say("covers", lang, seq=timeline.final_seq, hash=timeline.final_hash[:16] + "…"),
            ),
            Row(say("final_hash", lang), timeline.final_hash),
        ),
        mono_values=True,
    )


def _checklist(pdf: EvidencePdf, timeline: Timeline) -> None:
    """One row per step; what was recorded, reasons and reminders in a second row under
    the title, so the title stands out and the details get the width of three columns."""
    lang = timeline.lang
    pdf.heading(say("sec_checklist", lang))
    pdf.set_font(SANS, "", 8)
    with pdf.table(
        col_widths=(7, 75, 30, 34, 34),
        text_align=("CENTER", "LEFT", "LEFT", "LEFT", "LEFT"),
        headings_style=HEADINGS,
        line_height=3.8,
        padding=(1.2, 1.2, 1.2, 1.2),
        v_align="TOP",
    ) as table:
        head = table.row()
        for key in ("#", "col_step", "col_deadline", "col_done", "col_result"):
            head.cell(key if key == "#" else say(key, lang))
        for step in timeline.steps:
            details = _details(step, lang)
            span = 2 if details else 1
            bold = step.state in (StepState.LATE, StepState.OVERDUE)
            row = table.row()
            row.cell(str(step.number), rowspan=span)
            row.cell(step.title, style=TITLE)
            row.cell(step.deadline)
            row.cell(step.done or "—")
            row.cell(
                step.result,
                rowspan=span,
                style=FontFace(
                    emphasis="BOLD" if bold else None, fill_color=RESULT_FILL[step.state]
                ),
            )
            if details:
                table.row().cell(details, colspan=3, style=DETAILS)


def _follow_ups(pdf: EvidencePdf, timeline: Timeline) -> None:
    """What the plans proposed at the close, with who owns each and where it stands."""
    lang = timeline.lang
    pdf.heading(say("sec_follow_ups", lang))
    pdf.set_font(SANS, "", 8)
    with pdf.table(
        col_widths=(82, 34, 30, 34),
        headings_style=HEADINGS,
        line_height=3.8,
        padding=(1.2, 1.2, 1.2, 1.2),
        v_align="TOP",
    ) as table:
        head = table.row()
        for key in ("col_follow_up", "col_owner", "col_due", "col_state"):
            head.cell(say(key, lang))
        for follow_up in timeline.follow_ups:
            row = table.row()
            row.cell(follow_up.title, style=TITLE)
            row.cell(follow_up.owner or "—")
            row.cell(follow_up.due)
            row.cell(
                say(f"follow_up.{follow_up.state.value}", lang, done=follow_up.done),
                style=FontFace(fill_color=FOLLOW_UP_FILL[follow_up.state]),
            )


def _details(step: StepLine, lang: Lang) -> str:
    """What was recorded, why it was set aside, and what happened to it."""
    lines = [f"{record.label}: {record.value}" for record in step.records]
    if step.reason:
        lines.append(say("reason", lang, reason=step.reason))
    lines += [f"· {note}" for note in step.notes]
    return "\n".join(lines)


def _texts(pdf: EvidencePdf, timeline: Timeline) -> None:
    """Each text prepared to send, in full and as shown: the timeline only names it."""
    lang = timeline.lang
    pdf.heading(say("sec_texts", lang))
    pdf.paragraph(say("texts_intro", lang), color=GREY)
    for text in timeline.texts:
        pdf.ln(3)
        pdf.heading(text.title, size=10)
        pdf.paragraph(text.heading, size=7.5, color=GREY)
        if text.missing:
            missing = say("ev.text_missing", lang, labels=", ".join(text.missing)).strip()
            pdf.paragraph(missing, size=7.5, color=GREY)
        pdf.ln(1)
        pdf.paragraph(text.body)


class _EventTable:
    """Every event, drawn line by line with ``text``: fast enough for 50,000 events."""

    def __init__(self, pdf: EvidencePdf, lang: Lang) -> None:
        self.pdf = pdf
        pdf.heading(say("sec_timeline", lang))
        self.headers = [
            "#",
            *(say(key, lang) for key in ("col_local", "col_utc", "col_who", "col_what")),
        ]
        self.right = pdf.w - pdf.r_margin
        pdf.set_font(SANS, "", EVENT_SIZE)
        widths = [pdf.width_of(sample) + 3 * PAD for sample in EVENT_SAMPLES] + [WHO_WIDTH]
        widths.append(self.right - pdf.l_margin - sum(widths))
        self.x_positions = [pdf.l_margin]
        for width in widths[:-1]:
            self.x_positions.append(self.x_positions[-1] + width)
        self.inner = [width - 2 * PAD for width in widths]
        self._header_row()
        pdf.set_draw_color(215, 215, 215)
        pdf.set_line_width(0.1)

    def _header_row(self) -> None:
        pdf = self.pdf
        y = pdf.get_y()
        pdf.set_fill_color(225, 225, 225)
        pdf.rect(pdf.l_margin, y, self.right - pdf.l_margin, EVENT_LINE + 2, style="F")
        pdf.set_font(SANS, "B", EVENT_SIZE)
        for x, text in zip(self.x_positions, self.headers, strict=True):
            pdf.text(x + PAD, y + EVENT_LINE, text)
        pdf.set_y(y + EVENT_LINE + 2.5)
        pdf.set_font(SANS, "", EVENT_SIZE)
        pdf.set_fill_color(*BLACK)  # the text's colour: ``texts`` draws in it, no q/Q each

    def add(self, lines: Iterable[EventLine]) -> None:
        pdf, inner, x_positions, right = self.pdf, self.inner, self.x_positions, self.right
        bottom = pdf.page_break_trigger
        for line in lines:
            cells = (
                [str(line.seq)],
                [line.local],
                [line.utc],
                pdf.wrap(line.actor_name, inner[3], max_lines=2),
                pdf.wrap(line.text, inner[4]),
            )
            height = max(len(cell) for cell in cells) * EVENT_LINE + 0.9
            y = pdf.get_y()
            if y + height > bottom:
                pdf.add_page()
                self._header_row()
                pdf.set_draw_color(215, 215, 215)
                y = pdf.get_y()
            pdf.texts(
                (x + PAD, y + number * EVENT_LINE - 0.6, text)
                for x, cell in zip(x_positions, cells, strict=True)
                for number, text in enumerate(cell, start=1)
            )
            pdf.line(pdf.l_margin, y + height, right, y + height)
            pdf.set_y(y + height + 0.3)


def _verification(pdf: EvidencePdf, timeline: Timeline) -> None:
    lang = timeline.lang
    pdf.heading(say("sec_verify", lang))
    pdf.set_font(MONO, "", 9)
    pdf.cell(
        0, 5, f"#{timeline.final_seq} {timeline.final_hash}", new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.ln(1)
    pdf.paragraph(say("verify_sentence", lang))
