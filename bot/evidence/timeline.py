"""Events → the evidence file's view model, in one pass and without any database.

The ``Timeline`` is what every renderer draws. It is built only from the recorded events,
the playbook's texts and the organisation's time zone: the steps come from the
``steps_planned`` event, facts from ``fact_answered``, results from ``step_done`` (with the
``on_time`` and ``late_seconds`` recorded at that moment), so a later change to a step or
fact row can never change what the file says happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from bot.chain import parse_utc
from bot.evidence import EvidenceError
from bot.evidence.ap import ApAssessment, ap_decision, risk_text
from bot.evidence.describe import Describer, answer_text, fact_label, role_text
from bot.evidence.texts import local_long, local_stamp, say, span, utc_stamp
from bot.messages import Lang
from bot.playbook import Playbook
from bot.ports import Event
from bot.timefmt import clock_time

MAX_NOTES = 8
"""Per step in the checklist; the full timeline has every one."""


class StepState(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    OPEN = "open"
    OVERDUE = "overdue"  # open, and its deadline has passed
    BLOCKED = "blocked"  # "not possible now": still open, deadline still runs
    SKIPPED = "skipped"
    NOT_APPLICABLE = "not_applicable"

    @property
    def is_open(self) -> bool:
        return self in (StepState.OPEN, StepState.OVERDUE, StepState.BLOCKED)


@dataclass(frozen=True, slots=True)
class Row:
    """A labelled value; ``key`` is the fact or record id it came from, if any."""

    label: str
    value: str
    key: str = ""


@dataclass(frozen=True, slots=True)
class StepLine:
    number: int
    step_id: str
    title: str
    due_at: datetime
    state: StepState
    deadline: str  # as shown: "10:15 (+15 min)"
    done: str  # "10:07 door Jan", or "" while open
    result: str  # "op tijd", "12 min te laat", "overgeslagen", ...
    done_at: datetime | None = None  # when done or skipped
    late_by: timedelta | None = None  # late, or open past the deadline
    records: tuple[Row, ...] = ()
    reason: str | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EventLine:
    seq: int
    at: datetime
    local: str
    utc: str
    actor: str
    actor_name: str
    kind: str
    text: str
    data: dict[str, Any]
    hash: str


@dataclass(frozen=True, slots=True)
class Summary:
    organisation: str
    title: str
    reported_at: datetime
    reported_by: str
    stopped_at: datetime | None
    incident: tuple[Row, ...]
    facts: tuple[Row, ...]
    records: tuple[Row, ...]
    ap: ApAssessment | None
    ap_rows: tuple[Row, ...]
    people: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Timeline:
    incident_id: str
    lang: Lang
    tz: ZoneInfo
    generated_at: datetime
    generated: str  # generated_at as shown on every page
    until: datetime  # "now" for open steps: when the incident stopped, else generated_at
    summary: Summary
    steps: tuple[StepLine, ...]
    events: tuple[EventLine, ...]
    final_hash: str


@dataclass
class _Step:
    number: int
    step_id: str
    due_at: datetime
    state: StepState = StepState.OPEN
    done_at: datetime | None = None
    done_by: str | None = None
    late_seconds: int = 0
    records: dict[str, str] = field(default_factory=dict)
    reason: str | None = None
    notes: list[str] = field(default_factory=list)


def build_timeline(
    events: Sequence[Event],
    *,
    playbook: Playbook,
    organisation: str,
    tz: ZoneInfo,
    generated_at: datetime,
    lang: Lang | None = None,
) -> Timeline:
    """The view model of one incident; ``lang`` defaults to the incident's own language.

    ``organisation`` is the fallback name for incidents recorded before the name was
    part of the opening event. Raises ``EvidenceError`` when the events are not an
    incident's timeline (empty, or not starting with ``incident_opened``).
    """
    if not events or events[0].kind != "incident_opened":
        raise EvidenceError("these events are not an incident's timeline")
    opened = events[0]
    language: Lang = lang or ("en" if opened.data.get("language") == "en" else "nl")
    builder = _Builder(playbook=playbook, tz=tz, lang=language, reported_at=opened.at)
    for event in events:
        builder.add(event)
    until = builder.stopped_at or generated_at
    return Timeline(
        incident_id=opened.incident_id,
        lang=language,
        tz=tz,
        generated_at=generated_at,
        generated=local_long(generated_at, tz=tz, lang=language),
        until=until,
        summary=builder.summary(events, organisation=organisation),
        steps=tuple(builder.step_line(step, until=until) for step in builder.steps.values()),
        events=tuple(builder.lines),
        final_hash=events[-1].hash,
    )


class _Builder:
    """Folds the events, in order, into the state the file shows."""

    def __init__(
        self, *, playbook: Playbook, tz: ZoneInfo, lang: Lang, reported_at: datetime
    ) -> None:
        self.playbook = playbook
        self.tz = tz
        self.lang = lang
        self.reported_at = reported_at
        self.describe = Describer(playbook=playbook, tz=tz, lang=lang, reported_at=reported_at)
        self.steps: dict[str, _Step] = {}
        self.facts: dict[str, Event] = {}
        self.people: list[str] = []
        self.ap: ApAssessment | None = None
        self.stopped_at: datetime | None = None
        self.stop_reason = ""
        self.lines: list[EventLine] = []

    def add(self, event: Event) -> None:
        data = event.data
        kind = event.kind
        self.describe.names.setdefault(event.actor, event.actor_name)
        step = self.steps.get(str(data.get("step", "")))
        when = self._clock(event.at)
        if kind == "steps_planned":
            self._plan(data.get("steps"))
        elif kind == "participant_joined":
            role = role_text(data.get("role"), self.lang)
            name = str(data.get("name") or event.actor_name)
            self.people.append(say("person", self.lang, name=name, role=role, time=when))
        elif kind in ("fact_answered", "fact_unknown"):
            self.facts[str(data.get("fact"))] = event
        elif kind == "ap_assessed":
            self.ap = ApAssessment.from_event(event)
        elif kind == "incident_stopped":
            self.stopped_at, self.stop_reason = event.at, str(data.get("reason", ""))
        elif step is not None:
            self._step_event(step, event, when)
        self.lines.append(
            EventLine(
                seq=event.seq,
                at=event.at,
                local=local_stamp(event.at, tz=self.tz),
                utc=utc_stamp(event.at),
                actor=event.actor,
                actor_name=event.actor_name,
                kind=kind,
                text=self.describe(event),
                data=data,
                hash=event.hash,
            )
        )

    def _plan(self, planned: Any) -> None:
        for item in planned if isinstance(planned, list) else []:
            step_id = str(item.get("step"))
            self.steps[step_id] = _Step(
                number=len(self.steps) + 1, step_id=step_id, due_at=parse_utc(item["due_at"])
            )

    def _step_event(self, step: _Step, event: Event, when: str) -> None:
        data = event.data
        kind = event.kind
        if kind == "step_done":
            late = int(data.get("late_seconds") or 0)
            step.state = StepState.LATE if data.get("on_time") is False else StepState.ON_TIME
            step.done_at, step.done_by, step.late_seconds = event.at, event.actor_name, late
            step.records = {str(k): str(v) for k, v in (data.get("records") or {}).items()}
        elif kind == "step_skipped":
            step.state, step.reason = StepState.SKIPPED, str(data.get("reason", ""))
            step.done_at, step.done_by = event.at, event.actor_name
        elif kind == "step_blocked":
            step.state, step.reason = StepState.BLOCKED, str(data.get("reason", ""))
            step.notes.append(say("note.blocked", self.lang, time=when, reason=step.reason))
        elif kind == "step_not_applicable":
            step.state = StepState.NOT_APPLICABLE
            step.notes.append(say("note.not_applicable", self.lang, time=when))
        elif kind == "step_applicable":
            step.state = StepState.OPEN
            step.notes.append(say("note.applicable", self.lang, time=when))
        elif kind == "reminder_sent":
            step.notes.append(say("note.reminder", self.lang, time=when))
        elif kind == "escalation_sent":
            to = self.describe.recipients(data.get("recipients"))
            step.notes.append(say("note.escalation", self.lang, time=when, to=to))

    def _clock(self, when: datetime) -> str:
        """ "10:07" on the day of the report, else with the date."""
        return clock_time(when, tz=self.tz, now=self.reported_at, lang=self.lang)

    def step_line(self, step: _Step, *, until: datetime) -> StepLine:
        lang = self.lang
        state = step.state
        late_by: timedelta | None = None
        if state is StepState.LATE:
            late_by = timedelta(seconds=step.late_seconds)
        elif state.is_open and until > step.due_at:
            late_by = until - step.due_at
            state = StepState.BLOCKED if state is StepState.BLOCKED else StepState.OVERDUE
        if state is StepState.LATE and late_by is not None:
            result = say("state.late", lang, late=span(late_by, lang))
        elif state is StepState.OVERDUE and late_by is not None:
            result = say("state.overdue", lang, late=span(late_by, lang))
        else:
            result = say(f"state.{state.value}", lang)
        if state is StepState.BLOCKED and late_by is not None:
            result += "; " + say("state.overdue", lang, late=span(late_by, lang))
        title = self.describe.titles.get(step.step_id, step.step_id)
        if step.step_id in self.describe.assessments:  # its answers: in the AP section
            decision = ap_decision(self.ap, tz=self.tz, lang=lang)
            records: tuple[Row, ...] = (Row(say("ap_decision", lang), decision),)
        else:
            records = tuple(
                Row(*self.describe.record(key, value), key) for key, value in step.records.items()
            )
        notes = step.notes
        if len(notes) > MAX_NOTES:
            notes = [*notes[: MAX_NOTES - 1], say("notes_more", lang, n=len(notes) - MAX_NOTES + 1)]
        due = self._clock(step.due_at)
        return StepLine(
            number=step.number,
            step_id=step.step_id,
            title=title,
            due_at=step.due_at,
            state=state,
            deadline=f"{due} (+{span(step.due_at - self.reported_at, lang)})",
            done=""
            if step.done_at is None
            else say("done_by", lang, time=self._clock(step.done_at), name=step.done_by or ""),
            result=result,
            done_at=step.done_at,
            late_by=late_by,
            records=records if step.state in (StepState.ON_TIME, StepState.LATE) else (),
            reason=step.reason if state in (StepState.SKIPPED, StepState.BLOCKED) else None,
            notes=tuple(notes),
        )

    def summary(self, events: Sequence[Event], *, organisation: str) -> Summary:
        lang = self.lang
        opened = events[0]
        title = self.playbook.title.get(lang)  # recorded in the incident's language only
        org = str(opened.data.get("organisation") or organisation)
        if self.stopped_at is None:
            status = say("status_open", lang)
        else:
            status = say(
                "status_stopped",
                lang,
                time=local_long(self.stopped_at, tz=self.tz, lang=lang),
                reason=self.stop_reason,
            )
        incident = (
            Row(say("organisation", lang), org),
            Row(say("incident_id", lang), opened.incident_id),
            Row(say("kind", lang), title),
            Row(say("reported_at", lang), local_long(opened.at, tz=self.tz, lang=lang)),
            Row(say("reported_by", lang), opened.actor_name),
            Row(say("status", lang), status),
        )
        facts = []
        for spec in self.playbook.facts:
            event = self.facts.get(spec.id)
            if event is None:
                value = say("not_asked", lang)
            elif event.kind == "fact_unknown":
                value = say("not_known_yet", lang)
            else:
                value = str(event.data.get("value") or "")
                display = str(event.data.get("display") or value)
                value = answer_text(spec, value, display, lang=lang, tz=self.tz)
            facts.append(Row(fact_label(spec, lang), value, spec.id))
        done: dict[str, str] = {}
        for step in self.steps.values():
            done.update(step.records)
        records = [
            Row(*self.describe.record(record.id, done[record.id]), record.id)
            if done.get(record.id)
            else Row(record.label.get(lang).rstrip("?"), say("not_recorded", lang), record.id)
            for spec in self.playbook.steps
            if not spec.breach_assessment  # those answers have their own section
            for record in spec.record
        ]
        return Summary(
            organisation=org,
            title=title,
            reported_at=opened.at,
            reported_by=opened.actor_name,
            stopped_at=self.stopped_at,
            incident=incident,
            facts=tuple(facts),
            records=tuple(records),
            ap=self.ap,
            ap_rows=_ap_rows(self.ap, tz=self.tz, lang=lang),
            people=tuple(self.people),
        )


def _ap_rows(ap: ApAssessment | None, *, tz: ZoneInfo, lang: Lang) -> tuple[Row, ...]:
    """The AP assessment as summary rows; one row saying so when there is none yet."""
    decision = Row(say("ap_decision", lang), ap_decision(ap, tz=tz, lang=lang))
    if ap is None:
        return (decision,)
    answer = {"yes": say("yes", lang), "no": say("no", lang)}
    rows = [
        decision,
        Row(say("ap_reason", lang), ap.reason),
        Row(say("ap_delay_reason", lang), ap.delay_reason),
        Row(say("ap_personal_data", lang), answer.get(ap.personal_data, say("unknown", lang))),
        Row(say("ap_data_kinds", lang), ap.data_kinds),
        Row(say("ap_people", lang), ap.people),
        Row(say("ap_count", lang), ap.approx_count),
        Row(say("ap_risk", lang), risk_text(ap, lang)),
        Row(say("ap_inform", lang), say("yes" if ap.inform_people else "no", lang)),
        Row(say("ap_measures", lang), ap.measures),
        Row(
            say("ap_assessed_by", lang),
            say("ap_by", lang, time=local_long(ap.at, tz=tz, lang=lang), name=ap.by),
        ),
    ]
    return tuple(row for row in rows if row.value)
