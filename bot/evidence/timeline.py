"""Events → the evidence file's view model, in one pass and without any database.

The ``Timeline`` is built only from the recorded events, the playbook's texts and the
organisation's time zone: the steps come from the ``steps_planned`` event, facts from
``fact_answered``, results from ``step_done`` (with the ``on_time`` and ``late_seconds``
recorded at that moment), so a later change to a step or fact row can never change what
the file says happened.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, assert_never
from zoneinfo import ZoneInfo

from bot.answers.iban import bank_of
from bot.answers.money import stored_money_text
from bot.events import (
    ApAssessed,
    DeliveryAbandoned,
    DeliveryAttempted,
    DeliveryRedirected,
    EscalationSent,
    EventData,
    FactAnswered,
    FactUnknown,
    FollowUpAssigned,
    FollowUpDone,
    FollowUpProposed,
    HandoffAcknowledged,
    HandoffFailed,
    HandoffRequested,
    IncidentClosed,
    IncidentOpened,
    IncidentReopened,
    IncidentStopped,
    LeadChanged,
    ParticipantJoined,
    PlanAdded,
    PlannedStep,
    PlanSwitched,
    RecallStatusChanged,
    ReminderSent,
    ReminderSnoozed,
    StepApplicable,
    StepAssigned,
    StepBlocked,
    StepDone,
    StepNotApplicable,
    StepSkipped,
    StepsPlanned,
    TextPrepared,
    UnknownEvent,
    of,
    to_data,
)
from bot.evidence import EvidenceError
from bot.evidence.ap import ApAssessment, ap_decision, ap_rows
from bot.evidence.describe import Describer, answer_text, fact_label, role_text
from bot.evidence.model import (
    EventLine,
    FollowUpLine,
    FollowUpState,
    PaymentView,
    RecallChange,
    Row,
    StepLine,
    StepState,
    Summary,
    TextLine,
    Timeline,
)
from bot.evidence.texts import has, local_long, local_stamp, say, span, utc_stamp
from bot.messages import Lang
from bot.organisation import DEFAULT_ORGANISATION
from bot.playbook import AccountRole, FactSpec, Playbook, RegisterColumn, StepSpec
from bot.ports import Event
from bot.timefmt import clock_time

MAX_RECALL_CHANGES = 4
"""On page one, which must keep room for the sequence and hash the file covers."""
MAX_NOTES = 8
"""Per step in the checklist; the full timeline has every one."""
StepEvent = (  # the events that leave a note on (or change) their step in the checklist
    StepDone | StepSkipped | StepBlocked | StepNotApplicable | StepApplicable | ReminderSent
    | EscalationSent | DeliveryAttempted | DeliveryRedirected | DeliveryAbandoned | HandoffFailed
    | HandoffAcknowledged | StepAssigned | ReminderSnoozed
)  # fmt: skip


class _Notes:
    """A step's first ``MAX_NOTES`` notes and how many there were: the checklist shows no
    more, so a step reminded 5,000 times does not keep 5,000 sentences."""

    __slots__ = ("count", "kept")

    def __init__(self) -> None:
        self.kept: list[str] = []
        self.count = 0

    @property
    def has_room(self) -> bool:
        return len(self.kept) < MAX_NOTES

    def append(self, note: str) -> None:
        self.count += 1
        if len(self.kept) < MAX_NOTES:
            self.kept.append(note)


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
    notes: _Notes = field(default_factory=_Notes)


@dataclass
class _FollowUp:
    follow_up_id: str
    plan: str
    owner: str  # name
    due_at: datetime
    done_at: datetime | None = None
    done_by: str = ""


@dataclass(frozen=True, slots=True)
class _Ending:
    """How the incident last ended (stopped or closed); a reopening clears it."""

    text_key: str
    at: datetime
    reason: str


def build_timeline(
    events: Sequence[Event],
    *,
    playbook: Playbook,
    organisation: str | None,
    tz: ZoneInfo,
    generated_at: datetime,
    lang: Lang | None = None,
    generated_by: str = "",
) -> Timeline:
    """The view model of one incident; ``lang`` defaults to the incident's own language.

    ``organisation`` is the configured name (None without an organisation file): the
    fallback for incidents recorded before the name was part of the opening event, and
    what replaces the built-in placeholder name those recorded. Raises ``EvidenceError``
    when the events are not an incident's timeline (empty, or not starting with
    ``incident_opened``). Every event line is in it: for a long timeline, fold with
    ``TimelineFold`` and draw the lines of a second pass with ``EventLines`` instead.
    """
    if not events:
        raise EvidenceError("these events are not an incident's timeline")
    fold = TimelineFold(events[0], playbook=playbook, tz=tz, lang=lang)
    lines = EventLines(playbook=playbook, tz=tz, lang=fold.lang, reported_at=events[0].at)
    collected = []
    for event in events:
        payload = of(event)
        fold.add(event, payload)
        collected.append(lines.line(event, payload))
    return fold.timeline(
        organisation=organisation,
        generated_at=generated_at,
        generated_by=generated_by,
        lines=tuple(collected),
    )


class TimelineFold:
    """Everything the file says about an incident but its event lines, folded one event at
    a time, so a reader of a long timeline holds the summary, not the events."""

    def __init__(
        self, first: Event, *, playbook: Playbook, tz: ZoneInfo, lang: Lang | None = None
    ) -> None:
        if first.kind != IncidentOpened.kind:
            raise EvidenceError("these events are not an incident's timeline")
        recorded = of(first)  # unreadable, it still opens the file; its line shows it raw
        self.opening = recorded if isinstance(recorded, IncidentOpened) else None
        self.lang: Lang = lang or (self.opening.language if self.opening else "nl")
        self.first = first
        self.last = first
        self.count = 0
        self._builder = _Builder(playbook=playbook, tz=tz, lang=self.lang, reported_at=first.at)

    def add(self, event: Event, payload: EventData | UnknownEvent | None = None) -> None:
        """``payload``: ``bot.events.of(event)``, when the caller has it already."""
        self._builder.add(event, of(event) if payload is None else payload)
        self.last = event
        self.count += 1

    def timeline(
        self,
        *,
        organisation: str | None,
        generated_at: datetime,
        generated_by: str = "",
        lines: tuple[EventLine, ...] = (),
    ) -> Timeline:
        """The view model so far; ``lines`` empty when they are drawn from a second pass."""
        builder = self._builder
        until = builder.ending.at if builder.ending else generated_at
        opening = self.opening
        return Timeline(
            incident_id=self.first.incident_id,
            lang=self.lang,
            tz=builder.tz,
            generated_at=generated_at,
            generated=local_long(generated_at, tz=builder.tz, lang=self.lang),
            until=until,
            summary=builder.summary(
                self.first, opening.organisation if opening else None, organisation=organisation
            ),
            steps=tuple(builder.step_line(step, until=until) for step in builder.steps.values()),
            events=lines,
            event_count=self.count,
            final_hash=self.last.hash,
            final_seq=self.last.seq,
            generated_by=generated_by,
            texts=tuple(builder.texts),
            follow_ups=tuple(
                builder.follow_up_line(f, now=generated_at) for f in builder.follow_ups
            ),
        )


class EventLines:
    """The timeline's lines, one event at a time, in order (the actors' names it learns on
    the way are what each sentence says); independent of ``TimelineFold``, so the lines
    can come from a second read of the events."""

    def __init__(
        self, *, playbook: Playbook, tz: ZoneInfo, lang: Lang, reported_at: datetime
    ) -> None:
        self.tz = tz
        self.describe = Describer(playbook=playbook, tz=tz, lang=lang, reported_at=reported_at)

    def line(self, event: Event, payload: EventData | UnknownEvent | None = None) -> EventLine:
        payload = of(event) if payload is None else payload
        _learn_names(self.describe.names, event, payload)
        return EventLine(
            seq=event.seq,
            at=event.at,
            local=local_stamp(event.at, tz=self.tz),
            utc=utc_stamp(event.at),
            actor=event.actor,
            actor_name=event.actor_name,
            kind=event.kind,
            text=self.describe.sentence(event, payload),
            data=event.data,
            hash=event.hash,
        )


def _learn_names(names: dict[str, str], event: Event, payload: EventData | UnknownEvent) -> None:
    """Who is who from here on: the actor, and whoever is assigned, now leading, handed
    to or sent on to, by name."""
    names.setdefault(event.actor, event.actor_name)
    match payload:
        case (
            StepAssigned(to=str(to), to_name=str(name))
            | LeadChanged(to=str(to), to_name=str(name))
            | HandoffRequested(to=str(to), to_name=str(name))
            | HandoffFailed(to=str(to), to_name=str(name))
            | HandoffAcknowledged(to=str(to), to_name=str(name))
            | DeliveryRedirected(to=str(to), to_name=str(name))
            | FollowUpAssigned(to=str(to), to_name=str(name))
            | FollowUpProposed(owner=str(to), owner_name=str(name))
        ):
            names[to] = name


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
        self.facts: dict[str, FactAnswered | FactUnknown] = {}
        self.people: list[str] = []
        self.ap: ApAssessment | None = None
        self.recalls: dict[int, list[tuple[Event, RecallStatusChanged]]] = {}  # by payment
        self.ending: _Ending | None = None
        self.texts: list[TextLine] = []
        self.follow_ups: list[_FollowUp] = []

    def add(self, event: Event, payload: EventData | UnknownEvent) -> None:
        _learn_names(self.describe.names, event, payload)
        match payload:
            case StepsPlanned(steps=planned):
                self._plan(planned)
            case PlanSwitched() | PlanAdded():
                self._another_plan(payload, self._clock(event.at))
            case ParticipantJoined(name=joined, role=role):
                role_name = role_text(role, self.lang)
                name = joined or event.actor_name
                when = self._clock(event.at)
                self.people.append(say("person", self.lang, name=name, role=role_name, time=when))
            case FactAnswered() | FactUnknown():
                self.facts[payload.fact] = payload
            case ApAssessed():
                self.ap = ApAssessment.from_event(event, payload, self.playbook.breach_step())
            case RecallStatusChanged():
                self.recalls.setdefault(payload.payment, []).append((event, payload))
            case IncidentStopped(reason=reason):
                self.ending = _Ending("status_stopped", event.at, reason)
            case IncidentClosed(reason=reason):
                self.ending = _Ending("status_closed", event.at, reason)
            case IncidentReopened():
                self.ending = None
            case TextPrepared():
                self.texts.append(self._text(event, payload, self._clock(event.at)))
            case FollowUpProposed():
                self.follow_ups.append(
                    _FollowUp(payload.follow_up, payload.plan, payload.owner_name, payload.due_at)
                )
            case FollowUpAssigned(follow_up=follow_up_id, to=to, to_name=to_name):
                follow_up = self._follow_up(follow_up_id)
                if follow_up is not None:
                    follow_up.owner = to_name or to
            case FollowUpDone(follow_up=follow_up_id):
                follow_up = self._follow_up(follow_up_id)
                if follow_up is not None:
                    follow_up.done_at, follow_up.done_by = event.at, event.actor_name
            case _ if isinstance(payload, StepEvent):
                step = self.steps.get(payload.step or "")
                if step is not None:
                    # The time of a note the checklist will not show is not worth saying.
                    when = self._clock(event.at) if step.notes.has_room else ""
                    self._step_event(step, payload, event, when)

    def _follow_up(self, follow_up_id: str) -> _FollowUp | None:
        return next((f for f in self.follow_ups if f.follow_up_id == follow_up_id), None)

    def follow_up_line(self, follow_up: _FollowUp, *, now: datetime) -> FollowUpLine:
        """``now``: when the file is made; a follow-up outlives the incident's close."""
        title = self.describe.follow_up(follow_up.follow_up_id)
        done = ""
        if follow_up.done_at is not None:
            state = FollowUpState.DONE
            done = say("done_by", self.lang, time=self._clock(follow_up.done_at),
                       name=follow_up.done_by)  # fmt: skip
        else:
            state = FollowUpState.OVERDUE if now > follow_up.due_at else FollowUpState.OPEN
        return FollowUpLine(
            follow_up_id=follow_up.follow_up_id,
            plan=follow_up.plan,
            title=title,
            owner=follow_up.owner,
            due_at=follow_up.due_at,
            due=self._clock(follow_up.due_at),
            state=state,
            done=done,
            done_at=follow_up.done_at,
        )

    def _text(self, event: Event, prepared: TextPrepared, when: str) -> TextLine:
        """The text as it was shown, in the language it was shown in."""
        heading = say(
            "text_line",
            self.lang,
            seq=event.seq,
            time=when,
            who=event.actor_name,
            language=self.describe.language(prepared.language),
        )
        return TextLine(
            seq=event.seq,
            title=prepared.title or prepared.text,
            heading=heading,
            body=prepared.body,
            missing=prepared.missing_labels,
        )

    def _plan(self, planned: Sequence[PlannedStep]) -> None:
        for item in planned:
            self.steps[item.step] = _Step(
                number=len(self.steps) + 1, step_id=item.step, due_at=item.due_at.astimezone(UTC)
            )

    def _another_plan(self, moved: PlanSwitched | PlanAdded, when: str) -> None:
        """Steps another plan brought in say so; on a switch, the old plan's steps it left
        open are no longer needed."""
        before = set(self.steps)
        self._plan(moved.steps)
        title = moved.title  # recorded in the incident's language only
        for step_id in set(self.steps) - before:
            self.steps[step_id].notes.append(
                say("note.from_plan", self.lang, title=title, time=when)
            )
        for step_id in moved.closed_steps:
            step = self.steps.get(step_id)
            if step is not None:
                step.state = StepState.NOT_APPLICABLE
                step.notes.append(say("note.left_behind", self.lang, title=title, time=when))

    def _step_event(self, step: _Step, payload: StepEvent, event: Event, when: str) -> None:
        lang = self.lang
        describe = self.describe
        match payload:
            case StepDone():
                step.state = StepState.ON_TIME if payload.on_time else StepState.LATE
                step.done_at, step.done_by = event.at, event.actor_name
                step.late_seconds = payload.late_seconds
                step.records = dict(payload.records)
            case StepSkipped(reason=reason):
                step.state, step.reason = StepState.SKIPPED, reason
                step.done_at, step.done_by = event.at, event.actor_name
            case StepBlocked(reason=reason):
                step.state, step.reason = StepState.BLOCKED, reason
                step.notes.append(say("note.blocked", lang, time=when, reason=reason))
            case StepNotApplicable():
                step.state = StepState.NOT_APPLICABLE
                step.notes.append(say("note.not_applicable", lang, time=when))
            case StepApplicable():
                step.state = StepState.OPEN
                step.notes.append(say("note.applicable", lang, time=when))
            case ReminderSent():
                step.notes.append(say("note.reminder", lang, time=when))
            case EscalationSent(recipients=recipients):
                to = describe.recipients(recipients)
                step.notes.append(say("note.escalation", lang, time=when, to=to))
            case DeliveryAttempted():
                what = describe.what(payload.purpose, payload.deadline).lower()
                to = describe.person(payload.recipient, payload.recipient_name)
                to += describe.via(payload.via)
                outcome = describe.outcome(payload)
                step.notes.append(
                    say("note.delivery", lang, time=when, what=what, to=to, outcome=outcome)
                )
            case DeliveryRedirected() | DeliveryAbandoned():
                name = describe.person(payload.recipient, payload.recipient_name)
                n = payload.attempts
                if isinstance(payload, DeliveryRedirected):
                    key, to = "note.redirected", describe.person(payload.to, payload.to_name)
                else:
                    key, to = "note.abandoned", ""  # nobody left to name
                step.notes.append(say(key, lang, time=when, name=name, n=n, to=to))
            case HandoffFailed(attempts=n):
                step.notes.append(say("note.handoff_failed", lang, time=when, n=n))
            case HandoffAcknowledged(by=by):
                step.notes.append(say("note.handoff_acknowledged", lang, time=when, by=by or "?"))
            case StepAssigned(to=to, to_name=to_name):
                step.notes.append(say("note.assigned", lang, time=when, name=to_name or to))
            case ReminderSnoozed(until=until, reason=reason):
                until_text = self._clock(until)
                step.notes.append(
                    say("note.snoozed", lang, time=when, until=until_text, reason=reason)
                )
            case _:
                assert_never(payload)

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
        records: tuple[Row, ...] = ()
        if step.step_id in self.describe.assessments:  # its answers: in the AP section
            records = (Row(say("ap_decision", lang), ap_decision(self.ap, tz=self.tz, lang=lang)),)
        else:
            records = tuple(
                Row(*self.describe.record(key, value), key) for key, value in step.records.items()
            )
        notes = step.notes.kept
        if step.notes.count > MAX_NOTES:
            more = say("notes_more", lang, n=step.notes.count - MAX_NOTES + 1)
            notes = [*notes[: MAX_NOTES - 1], more]
        done = ""
        if step.done_at is not None:
            done = say("done_by", lang, time=self._clock(step.done_at), name=step.done_by or "")
        return StepLine(
            number=step.number,
            step_id=step.step_id,
            title=self.describe.titles.get(step.step_id, step.step_id),
            due_at=step.due_at,
            state=state,
            deadline=f"{self._clock(step.due_at)} (+{span(step.due_at - self.reported_at, lang)})",
            done=done,
            result=result,
            done_at=step.done_at,
            late_by=late_by,
            records=records if step.state in (StepState.ON_TIME, StepState.LATE) else (),
            reason=step.reason if state in (StepState.SKIPPED, StepState.BLOCKED) else None,
            notes=tuple(notes),
        )

    def summary(self, opened: Event, recorded: str | None, *, organisation: str | None) -> Summary:
        """``recorded``: the organisation's name as the opening event has it."""
        lang = self.lang
        title = self.playbook.title.get(lang)  # recorded in the incident's language only
        org = recorded or ""
        if not org or org == DEFAULT_ORGANISATION.name:  # the placeholder, never a name
            org = organisation or say("org_not_configured", lang)
        status = say("status_open", lang)
        if self.ending is not None:
            time = local_long(self.ending.at, tz=self.tz, lang=lang)
            status = say(self.ending.text_key, lang, time=time)
            status += f": {self.ending.reason}" if self.ending.reason else ""
        incident = (
            Row(say("organisation", lang), org),
            Row(say("incident_id", lang), opened.incident_id),
            Row(say("kind", lang), title),
            Row(say("reported_at", lang), local_long(opened.at, tz=self.tz, lang=lang)),
            Row(say("reported_by", lang), opened.actor_name),
            Row(say("status", lang), status),
            Row(say("sec_people", lang), "\n".join(self.people) or "—"),
            *self._accounts(),
        )
        return Summary(
            organisation=org,
            title=title,
            reported_at=opened.at,
            reported_by=opened.actor_name,
            closed_at=self.ending.at if self.ending else None,
            incident=incident,
            facts_heading=(
                self.playbook.facts_heading.get(lang)
                if self.playbook.facts_heading
                else say("sec_facts", lang)
            ),
            facts=self._facts(lambda spec: spec.first_page),
            register_what=self._facts(lambda spec: spec.breach_register is RegisterColumn.WHAT),
            register_when=self._facts(lambda spec: spec.breach_register is RegisterColumn.WHEN),
            records=self._records(),
            ap=self.ap,
            ap_rows=ap_rows(self.ap, tz=self.tz, lang=lang),
            payments=self._payments(),
        )

    def _facts(self, chosen: Callable[[FactSpec], bool]) -> tuple[Row, ...]:
        """The ``chosen`` facts, each with its latest answer, or why there is none."""
        lang = self.lang
        rows = []
        for spec in self.playbook.facts:
            if not chosen(spec):
                continue
            match self.facts.get(spec.id):
                case None:
                    value = say("not_asked", lang)
                case FactUnknown():
                    value = say("not_known_yet", lang)
                case FactAnswered(value=value, display=display):
                    value = answer_text(spec, value, display or value, lang=lang, tz=self.tz)
            rows.append(Row(fact_label(spec, lang), value, spec.id))
        return tuple(rows)

    def _accounts(self) -> tuple[Row, ...]:
        """Own account and receiving bank: a fact when the plan asks it, else said so."""
        lang = self.lang
        answered = {
            spec.account: fact
            for spec in self.playbook.facts
            if spec.account is not None
            and isinstance(fact := self.facts.get(spec.id), FactAnswered)
        }
        own_fact = answered.get(AccountRole.OWN)
        own = own_fact and (own_fact.display or own_fact.value)
        rows = [Row(say("own_account", lang), own or say("not_recorded", lang))]
        receiving_fact = answered.get(AccountRole.RECEIVING)
        receiving = receiving_fact and receiving_fact.value
        if receiving:
            bank = bank_of(receiving) or say("bank_unknown", lang)
        else:
            bank = say("not_recorded", lang)
        rows.append(Row(say("receiving_bank", lang), bank))
        return tuple(rows)

    def _payments(self) -> tuple[PaymentView, ...]:
        """Each payment with where its recall stands and how it got there; a plan with a
        recall step but no status recorded yet shows the payment from its facts."""
        spec = self.playbook.recall_step()
        if spec is None or spec.recall is None:
            return ()
        now = self._payment_facts(spec)
        if not self.recalls:
            return (self._payment(1, spec.id, now, ()),)
        # As recorded with the last change; what was not known then, as the facts say now.
        return tuple(
            self._payment(
                number,
                changes[-1][1].step or spec.id,
                {**now, **{k: v for k, v in to_data(changes[-1][1]).items() if v is not None}},
                changes,
            )
            for number, changes in sorted(self.recalls.items())
        )

    def _payment_facts(self, spec: StepSpec) -> dict[str, Any]:
        """The payment as the facts describe it, before any status was recorded."""
        recall = spec.recall
        assert recall is not None

        def answer(fact: FactSpec | None) -> str | None:
            answered = self.facts.get(fact.id) if fact is not None else None
            return answered.value or None if isinstance(answered, FactAnswered) else None

        facts = {f.id: f for f in self.playbook.facts}
        receiving = answer(self.playbook.account_fact(AccountRole.RECEIVING))
        return {
            "amount": answer(facts.get(recall.amount)),
            "paid": answer(facts.get(recall.paid or "")),
            "own_iban": answer(self.playbook.account_fact(AccountRole.OWN)),
            "receiving_iban": receiving,
            "receiving_bank": bank_of(receiving) if receiving else None,
            "payee": answer(facts.get(recall.payee or "")),
            "case_number": self.steps[spec.id].records.get(recall.case_number or "")
            if spec.id in self.steps
            else None,
        }

    def _payment(
        self,
        number: int,
        step_id: str,
        data: dict[str, Any],
        changes: Sequence[tuple[Event, RecallStatusChanged]],
    ) -> PaymentView:
        lang = self.lang
        missing = say("not_recorded", lang)
        history = tuple(self._change(event, changed) for event, changed in changes)
        status: str | None = None
        status_text = say("pay.no_status", lang)
        if changes:
            last, changed = changes[-1]
            status = changed.to.value
            status_text = say(
                "pay.status_since",
                lang,
                status=self._status(status, changed.returned_amount),
                time=local_long(last.at, tz=self.tz, lang=lang),
                name=last.actor_name,
            )
        # Short rows: page one must keep room for the sequence and hash the file covers.
        # Time and payee are the facts above; what is only here is where the money went,
        # the bank's case number, the status and how it got there.
        payment = stored_money_text(data.get("amount"), lang) or missing
        iban = data.get("receiving_iban")
        if isinstance(iban, str) and iban:
            bank = data.get("receiving_bank") or say("bank_unknown", lang)
            payment += say("pay.to", lang, iban=_grouped(iban), bank=bank)
        case_number = str(data.get("case_number") or missing)
        payment += say("pay.case", lang, number=case_number)
        rows = (
            Row(say("pay.payment", lang), payment),
            Row(say("pay.status", lang), status_text),
            *((Row(say("pay.history", lang), self._history(history)),) if history else ()),
        )  # fmt: skip
        return PaymentView(
            payment=number, step_id=step_id, status=status, rows=rows, data=dict(data),
            history=history,
        )  # fmt: skip

    def _history(self, history: tuple[RecallChange, ...]) -> str:
        """The last changes, on a line or two; the full timeline has every one."""
        shown = [change.text for change in history[-MAX_RECALL_CHANGES:]]
        if len(history) > MAX_RECALL_CHANGES:
            shown.insert(0, say("pay.earlier", self.lang, n=len(history) - MAX_RECALL_CHANGES))
        return " · ".join(shown)

    def _change(self, event: Event, changed: RecallStatusChanged) -> RecallChange:
        new = changed.to.value
        short = f"short.{new}"
        change = say(short, self.lang) if has(short) else new
        returned = stored_money_text(changed.returned_amount, self.lang)
        if returned:
            change += f" ({returned})"
        return RecallChange(
            seq=event.seq,
            at=event.at,
            by=event.actor_name,
            old=None if changed.from_ is None else changed.from_.value,
            new=new,
            case_number=changed.case_number,
            returned_amount=changed.returned_amount,
            text=say(
                "pay.change", self.lang, time=self._clock(event.at), name=event.actor_name,
                change=change,
            ),
        )  # fmt: skip

    def _status(self, status: str, returned: Any) -> str:
        """A recall status in words; an unknown one as recorded."""
        text = self.describe.recall_status(status)
        amount = stored_money_text(returned, self.lang)
        return say("pay.returned", self.lang, status=text, amount=amount) if amount else text

    def _records(self) -> tuple[Row, ...]:
        """Every number a step records (case numbers, tickets), or "not recorded"."""
        done: dict[str, str] = {}
        for step in self.steps.values():
            done.update(step.records)
        missing = say("not_recorded", self.lang)
        return tuple(
            Row(*self.describe.record(record.id, done[record.id]), record.id)
            if done.get(record.id)
            else Row(record.label.get(self.lang).rstrip("?"), missing, record.id)
            for spec in self.playbook.steps
            if not spec.breach_assessment  # those answers have their own section
            for record in spec.record
        )


def _grouped(iban: str) -> str:
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
