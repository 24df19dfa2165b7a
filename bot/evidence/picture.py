"""The first hours at a glance: one row per step on a time axis from the report.

A reader should see without reading the table which steps were done in time, which late
and which are still open. Every state has its own colour *and* its own shape and word
(circle "on time", triangle "+12 min", hollow square "open", cross "skipped"), so the
picture still reads when printed in black and white.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.evidence.model import StepLine, StepState, Timeline
from bot.evidence.pdfbase import GREY, SANS, EvidencePdf
from bot.evidence.texts import local_stamp, say, span

HORIZON = timedelta(hours=6)
"""Steps due later than this (the 72-hour AP step) run off the right edge with a note."""
TICKS = (5, 10, 15, 30, 60, 120, 180)  # minutes between grid lines; at most 8 of them
ROW = 7.0
LABEL_WIDTH = 58.0
GREEN = (30, 130, 50)
RED = (200, 35, 35)
ORANGE = (225, 125, 0)
BAND = (222, 222, 222)
Color = tuple[int, int, int]


def draw_first_hours(pdf: EvidencePdf, timeline: Timeline) -> None:
    lang = timeline.lang
    steps = timeline.steps
    needed = 40 + len(steps) * ROW  # heading, intro, axis labels, caption, legend
    if pdf.get_y() + needed > pdf.page_break_trigger:
        pdf.add_page()
    pdf.heading(say("sec_picture", lang))
    pdf.paragraph(say("picture_intro", lang), size=8, color=GREY)
    pdf.ln(5)
    axis = _Axis(pdf, timeline, top=pdf.get_y() + 4)
    axis.grid(rows=len(steps))
    for index, step in enumerate(steps):
        axis.step_row(step, centre=axis.top + (index + 0.5) * ROW)
    pdf.set_y(axis.top + len(steps) * ROW + 2)
    pdf.set_font(SANS, "", 7)
    pdf.set_text_color(*GREY)
    pdf.cell(0, 4, say("axis_label", lang), align="R")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(6)
    axis.legend()


class _Axis:
    def __init__(self, pdf: EvidencePdf, timeline: Timeline, *, top: float) -> None:
        self.pdf = pdf
        self.timeline = timeline
        self.lang = timeline.lang
        self.start = timeline.summary.reported_at
        self.top = top
        self.x0 = pdf.l_margin + LABEL_WIDTH
        self.x1 = pdf.w - pdf.r_margin - 22  # room for the last label
        self.length, self.tick = _window(timeline)

    def x(self, when: datetime) -> float:
        share = (when - self.start) / self.length
        return self.x0 + min(max(share, 0.0), 1.0) * (self.x1 - self.x0)

    def beyond(self, when: datetime) -> bool:
        return when - self.start > self.length

    def grid(self, *, rows: int) -> None:
        pdf = self.pdf
        bottom = self.top + rows * ROW
        pdf.set_font(SANS, "", 6.5)
        pdf.set_line_width(0.15)
        count = int(self.length / self.tick)
        for i in range(count + 1):
            when = self.start + i * self.tick
            x = self.x(when)
            pdf.set_draw_color(205, 205, 205)
            pdf.line(x, self.top - 1, x, bottom)
            label = local_stamp(when, tz=self.timeline.tz)[11:16]
            pdf.set_text_color(*GREY)
            pdf.text(x - pdf.width_of(label) / 2, self.top - 2, label)
        pdf.set_text_color(0, 0, 0)
        until = self.timeline.until
        if self.timeline.summary.closed_at is None and not self.beyond(until):
            x = self.x(until)
            pdf.set_draw_color(*ORANGE)
            pdf.set_dash_pattern(dash=0.8, gap=0.8)
            pdf.line(x, self.top - 1, x, bottom)
            pdf.set_dash_pattern()
            pdf.set_text_color(*ORANGE)
            pdf.text(x + 0.6, bottom + 2.5, say("picture_now", self.lang))
            pdf.set_text_color(0, 0, 0)

    def step_row(self, step: StepLine, *, centre: float) -> None:
        pdf = self.pdf
        pdf.set_font(SANS, "", 7)
        muted = step.state is StepState.NOT_APPLICABLE
        pdf.set_text_color(*(GREY if muted else (0, 0, 0)))
        label = pdf.wrap(f"{step.number}. {step.title}", LABEL_WIDTH - 3, max_lines=2)
        for n, text in enumerate(label):
            pdf.text(pdf.l_margin, centre + 1 + (n - (len(label) - 1) / 2) * 2.8, text)
        pdf.set_text_color(0, 0, 0)
        if muted:
            self._label(self.x0 + 1, centre, step.result, GREY)
            return
        due = self.x(step.due_at)
        pdf.set_fill_color(*BAND)
        pdf.rect(self.x0, centre - 1.2, due - self.x0, 2.4, style="F")
        if self.beyond(step.due_at):
            self._arrow(self.x1, centre, BAND)
            note = say("beyond", self.lang, span=span(step.due_at - self.start, self.lang))
            pdf.set_font(SANS, "", 6.5)
            self._label(self.x1 - 1 - pdf.width_of(note), centre - 2.8, note, GREY)  # above
        else:
            pdf.set_draw_color(0, 0, 0)
            pdf.set_line_width(0.5)
            pdf.line(due, centre - 2.6, due, centre + 2.6)
        self._outcome(step, centre=centre, due=due)

    def _outcome(self, step: StepLine, *, centre: float, due: float) -> None:
        pdf = self.pdf
        state = step.state
        if state.is_open:
            until = self.timeline.until
            x = self.x(until)
            if until > step.due_at and not self.beyond(step.due_at):
                pdf.set_draw_color(*ORANGE)
                pdf.set_line_width(0.6)
                pdf.set_dash_pattern(dash=1, gap=0.7)
                pdf.line(due, centre, x, centre)
                pdf.set_dash_pattern()
            if self.beyond(until):  # still open after the last hour the picture shows
                self._arrow(x, centre, ORANGE)
                x += 2.5
            else:
                pdf.set_draw_color(*ORANGE)
                pdf.set_fill_color(255, 255, 255)
                pdf.set_line_width(0.5)
                pdf.rect(x - 1.3, centre - 1.3, 2.6, 2.6, style="DF")
            self._label(x + 2.2, centre, say("state.open", self.lang), ORANGE)
            return
        if step.done_at is None:
            return
        x = self.x(step.done_at)  # at the right edge when later than the picture shows
        text = step.result
        if state is StepState.ON_TIME:
            pdf.set_fill_color(*GREEN)
            pdf.circle(x, centre, 1.4, style="F")
            self._label(max(x, due) + 2.2, centre, text, GREEN)  # clear of the deadline mark
        elif state is StepState.LATE:
            pdf.set_draw_color(*RED)
            pdf.set_line_width(0.9)
            pdf.line(due, centre, x, centre)
            pdf.set_fill_color(*RED)
            pdf.polygon(
                [(x, centre - 1.7), (x - 1.6, centre + 1.3), (x + 1.6, centre + 1.3)], style="F"
            )
            self._label(x + 2.2, centre, "+" + text, RED)
        else:  # skipped
            pdf.set_draw_color(*GREY)
            pdf.set_line_width(0.5)
            pdf.line(x - 1.2, centre - 1.2, x + 1.2, centre + 1.2)
            pdf.line(x - 1.2, centre + 1.2, x + 1.2, centre - 1.2)
            self._label(max(x, due) + 2.2, centre, text, GREY)

    def _label(self, x: float, centre: float, text: str, color: Color) -> None:
        pdf = self.pdf
        pdf.set_font(SANS, "", 6.5)
        right = pdf.w - pdf.r_margin
        width = pdf.width_of(text)
        x = min(x, right - width)
        pdf.set_fill_color(255, 255, 255)  # grid lines must not cross the words
        pdf.rect(x - 0.5, centre - 1.5, width + 1, 3, style="F")
        pdf.set_text_color(*color)
        pdf.text(x, centre + 0.9, text)
        pdf.set_text_color(0, 0, 0)

    def _arrow(self, x: float, centre: float, color: Color) -> None:
        self.pdf.set_fill_color(*color)
        self.pdf.polygon([(x, centre - 2), (x + 2.5, centre), (x, centre + 2)], style="F")

    def legend(self) -> None:
        """Each mark with its word, in one line under the picture."""
        pdf = self.pdf
        y = pdf.get_y() + 2
        x = pdf.l_margin
        lang = self.lang
        items = (
            ("deadline", say("legend_deadline", lang)),
            ("on_time", say("legend_on_time", lang)),
            ("late", say("legend_late", lang)),
            ("open", say("legend_open", lang)),
            ("skipped", say("legend_skipped", lang)),
        )
        for shape, text in items:
            if shape == "deadline":
                pdf.set_draw_color(0, 0, 0)
                pdf.set_line_width(0.5)
                pdf.line(x + 1.5, y - 2.4, x + 1.5, y + 2.4)
            elif shape == "on_time":
                pdf.set_fill_color(*GREEN)
                pdf.circle(x + 1.5, y, 1.4, style="F")
            elif shape == "late":
                pdf.set_fill_color(*RED)
                pdf.polygon([(x + 1.5, y - 1.7), (x, y + 1.3), (x + 3, y + 1.3)], style="F")
            elif shape == "open":
                pdf.set_draw_color(*ORANGE)
                pdf.set_fill_color(255, 255, 255)
                pdf.set_line_width(0.5)
                pdf.rect(x + 0.2, y - 1.3, 2.6, 2.6, style="DF")
            else:
                pdf.set_draw_color(*GREY)
                pdf.line(x + 0.3, y - 1.2, x + 2.7, y + 1.2)
                pdf.line(x + 0.3, y + 1.2, x + 2.7, y - 1.2)
            pdf.set_font(SANS, "", 7)
            pdf.text(x + 4.5, y + 1, text)
            x += 4.5 + pdf.width_of(text) + 7
        pdf.set_y(y + 5)


def _window(timeline: Timeline) -> tuple[timedelta, timedelta]:
    """How much time the axis spans, and the grid step: the first hours' deadlines and
    what happened around them, at least one hour, at most ``HORIZON``."""
    start = timeline.summary.reported_at
    early = [s for s in timeline.steps if s.due_at - start <= HORIZON]
    moments = [s.due_at for s in early]
    moments += [s.done_at for s in early if s.done_at and s.done_at - start <= HORIZON]
    if any(s.state.is_open for s in early):
        moments.append(min(timeline.until, start + HORIZON))
    length = max([m - start for m in moments] + [timedelta(hours=1)]) * 1.08
    tick = next(
        (timedelta(minutes=m) for m in TICKS if length / timedelta(minutes=m) <= 8),
        timedelta(minutes=TICKS[-1]),
    )
    return tick * -(-length // tick), tick
