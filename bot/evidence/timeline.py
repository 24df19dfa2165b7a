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
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.answers.iban import bank_of
from bot.answers.money import stored_money_text
from bot.chain import parse_utc
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
from bot.ports import RECALL_STATUS_CHANGED, Event
from bot.readytext import TextEvent
from bot.timefmt import clock_time

MAX_RECALL_CHANGES = 4
"""On page one, which must keep room for the sequence and hash the file covers."""
MAX_NOTES = 8
"""Per step in the checklist; the full timeline has every one."""
ENDINGS = {"incident_stopped": "status_stopped", "incident_closed": "status_closed"}


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


@dataclass
class _FollowUp:
    follow_up_id: str
    plan: str
    owner: str  # name
    due_at: datetime
    done_at: datetime | None = None
    done_by: str = ""


FOLLOW_UP_EVENTS = frozenset({"follow_up_proposed", "follow_up_assigned", "follow_up_done"})


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
    ``incident_opened``).
    """
    if not events or events[0].kind != "incident_opened":
        raise EvidenceError("these events are not an incident's timeline")
    opened = events[0]
    language: Lang = lang or ("en" if opened.data.get("language") == "en" else "nl")
    builder = _Builder(playbook=playbook, tz=tz, lang=language, reported_at=opened.at)
    for event in events:
        builder.add(event)
    until = builder.ending.at if builder.ending else generated_at
    return Timeline(
        incident_id=opened.incident_id,
        lang=language,
        tz=tz,
        generated_at=generated_at,
        generated=local_long(generated_at, tz=tz, lang=language),
        until=until,
        summary=builder.summary(opened, organisation=organisation),
        steps=tuple(builder.step_line(step, until=until) for step in builder.steps.values()),
        events=tuple(builder.lines),
        final_hash=events[-1].hash,
        final_seq=events[-1].seq,
        generated_by=generated_by,
        texts=tuple(builder.texts),
        follow_ups=tuple(builder.follow_up_line(f, now=generated_at) for f in builder.follow_ups),
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
        self.recalls: dict[int, list[Event]] = {}  # payment → its recall_status_changed
        self.ending: _Ending | None = None
        self.lines: list[EventLine] = []
        self.texts: list[TextLine] = []
        self.follow_ups: list[_FollowUp] = []

    def add(self, event: Event) -> None:
        data = event.data
        kind = event.kind
        self.describe.names.setdefault(event.actor, event.actor_name)
        if isinstance(data.get("to"), str) and isinstance(data.get("to_name"), str):
            self.describe.names[data["to"]] = data["to_name"]  # assigned, or now leading
        step = self.steps.get(str(data.get("step", "")))
        when = self._clock(event.at)
        if kind == "steps_planned":
            self._plan(data.get("steps"))
        elif kind in ("plan_switched", "plan_added"):
            self._another_plan(data, when)
        elif kind == "participant_joined":
            role = role_text(data.get("role"), self.lang)
            name = str(data.get("name") or event.actor_name)
            self.people.append(say("person", self.lang, name=name, role=role, time=when))
        elif kind in ("fact_answered", "fact_unknown"):
            self.facts[str(data.get("fact"))] = event
        elif kind == "ap_assessed":
            self.ap = ApAssessment.from_event(event, self.playbook.breach_step())
        elif kind == RECALL_STATUS_CHANGED:
            self.recalls.setdefault(int(data.get("payment") or 1), []).append(event)
        elif kind in ENDINGS:
            self.ending = _Ending(ENDINGS[kind], event.at, str(data.get("reason") or ""))
        elif kind == "incident_reopened":
            self.ending = None
        elif kind == TextEvent.PREPARED:
            self.texts.append(self._text(event, when))
        elif kind in FOLLOW_UP_EVENTS:
            self._follow_up_event(event)
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

    def _follow_up_event(self, event: Event) -> None:
        data = event.data
        follow_up_id = str(data.get("follow_up") or "")
        if event.kind == "follow_up_proposed":
            self.follow_ups.append(
                _FollowUp(
                    follow_up_id,
                    str(data.get("plan") or ""),
                    str(data.get("owner_name") or ""),
                    parse_utc(str(data.get("due_at"))),
                )
            )
            return
        follow_up = next((f for f in self.follow_ups if f.follow_up_id == follow_up_id), None)
        if follow_up is None:
            return
        if event.kind == "follow_up_assigned":
            follow_up.owner = str(data.get("to_name") or data.get("to") or "")
        else:  # done
            follow_up.done_at, follow_up.done_by = event.at, event.actor_name

    def follow_up_line(self, follow_up: _FollowUp, *, now: datetime) -> FollowUpLine:
        """``now``: when the file is made; a follow-up outlives the incident's close."""
        spec = next((f for f in self.playbook.follow_ups if f.id == follow_up.follow_up_id), None)
        title = spec.title.get(self.lang) if spec else follow_up.follow_up_id
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

    def _text(self, event: Event, when: str) -> TextLine:
        """The text as it was shown, in the language it was shown in."""
        data = event.data
        labels = data.get("missing_labels")
        heading = say(
            "text_line",
            self.lang,
            seq=event.seq,
            time=when,
            who=event.actor_name,
            language=self.describe.language(data.get("language")),
        )
        return TextLine(
            seq=event.seq,
            title=str(data.get("title") or data.get("text") or ""),
            heading=heading,
            body=str(data.get("body") or ""),
            missing=tuple(map(str, labels)) if isinstance(labels, list) else (),
        )

    def _plan(self, planned: Any) -> None:
        for item in planned if isinstance(planned, list) else []:
            step_id = str(item.get("step"))
            self.steps[step_id] = _Step(
                number=len(self.steps) + 1, step_id=step_id, due_at=parse_utc(item["due_at"])
            )

    def _another_plan(self, data: dict[str, Any], when: str) -> None:
        """Steps another plan brought in say so; on a switch, the old plan's steps it left
        open are no longer needed."""
        before = set(self.steps)
        self._plan(data.get("steps"))
        title = str(data.get("title", ""))  # recorded in the incident's language only
        for step_id in set(self.steps) - before:
            self.steps[step_id].notes.append(
                say("note.from_plan", self.lang, title=title, time=when)
            )
        closed = data.get("closed_steps")
        for step_id in closed if isinstance(closed, list) else []:
            step = self.steps.get(str(step_id))
            if step is not None:
                step.state = StepState.NOT_APPLICABLE
                step.notes.append(say("note.left_behind", self.lang, title=title, time=when))

    def _step_event(self, step: _Step, event: Event, when: str) -> None:
        data = event.data
        kind = event.kind
        lang = self.lang
        if kind == "step_done":
            records = data.get("records")
            step.state = StepState.LATE if data.get("on_time") is False else StepState.ON_TIME
            step.done_at, step.done_by = event.at, event.actor_name
            step.late_seconds = int(data.get("late_seconds") or 0)
            step.records = {
                str(k): str(v) for k, v in (records if isinstance(records, dict) else {}).items()
            }
        elif kind == "step_skipped":
            step.state, step.reason = StepState.SKIPPED, str(data.get("reason", ""))
            step.done_at, step.done_by = event.at, event.actor_name
        elif kind == "step_blocked":
            step.state, step.reason = StepState.BLOCKED, str(data.get("reason", ""))
            step.notes.append(say("note.blocked", lang, time=when, reason=step.reason))
        elif kind == "step_not_applicable":
            step.state = StepState.NOT_APPLICABLE
            step.notes.append(say("note.not_applicable", lang, time=when))
        elif kind == "step_applicable":
            step.state = StepState.OPEN
            step.notes.append(say("note.applicable", lang, time=when))
        elif kind == "reminder_sent":
            step.notes.append(say("note.reminder", lang, time=when))
        elif kind == "escalation_sent":
            to = self.describe.recipients(data.get("recipients"))
            step.notes.append(say("note.escalation", lang, time=when, to=to))
        elif kind == "delivery_attempted":
            what = self.describe.what(data).lower()
            to = self.describe.person(data, "recipient") + self.describe.via(data)
            outcome = self.describe.outcome(data)
            step.notes.append(
                say("note.delivery", lang, time=when, what=what, to=to, outcome=outcome)
            )
        elif kind in ("delivery_redirected", "delivery_abandoned"):
            name = self.describe.person(data, "recipient")
            n = data.get("attempts", "?")
            to = self.describe.person(data, "to")
            key = "note.redirected" if kind == "delivery_redirected" else "note.abandoned"
            step.notes.append(say(key, lang, time=when, name=name, n=n, to=to))
        elif kind == "handoff_failed":
            n = data.get("attempts", "?")
            step.notes.append(say("note.handoff_failed", lang, time=when, n=n))
        elif kind == "handoff_acknowledged":
            by = str(data.get("by") or "?")
            step.notes.append(say("note.handoff_acknowledged", lang, time=when, by=by))
        elif kind == "step_assigned":
            name = str(data.get("to_name") or data.get("to") or "")
            step.notes.append(say("note.assigned", lang, time=when, name=name))
        elif kind == "reminder_snoozed":
            until = self._when(data.get("until"))
            reason = str(data.get("reason") or "")
            step.notes.append(say("note.snoozed", lang, time=when, until=until, reason=reason))

    def _clock(self, when: datetime) -> str:
        """ "10:07" on the day of the report, else with the date."""
        return clock_time(when, tz=self.tz, now=self.reported_at, lang=self.lang)

    def _when(self, value: Any) -> str:
        try:
            return self._clock(parse_utc(value)) if isinstance(value, str) else "—"
        except ValueError:
            return str(value)

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
        notes = step.notes
        if len(notes) > MAX_NOTES:
            notes = [*notes[: MAX_NOTES - 1], say("notes_more", lang, n=len(notes) - MAX_NOTES + 1)]
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

    def summary(self, opened: Event, *, organisation: str | None) -> Summary:
        lang = self.lang
        title = self.playbook.title.get(lang)  # recorded in the incident's language only
        org = str(opened.data.get("organisation") or "")
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
            event = self.facts.get(spec.id)
            if event is None:
                value = say("not_asked", lang)
            elif event.kind == "fact_unknown":
                value = say("not_known_yet", lang)
            else:
                value = str(event.data.get("value") or "")
                display = str(event.data.get("display") or value)
                value = answer_text(spec, value, display, lang=lang, tz=self.tz)
            rows.append(Row(fact_label(spec, lang), value, spec.id))
        return tuple(rows)

    def _accounts(self) -> tuple[Row, ...]:
        """Own account and receiving bank: a fact when the plan asks it, else said so."""
        lang = self.lang
        answered = {
            spec.account: event
            for spec in self.playbook.facts
            if spec.account is not None
            and (event := self.facts.get(spec.id)) is not None
            and event.kind == "fact_answered"
        }
        own_event = answered.get(AccountRole.OWN)
        own = own_event and str(own_event.data.get("display") or own_event.data.get("value") or "")
        rows = [Row(say("own_account", lang), own or say("not_recorded", lang))]
        receiving_event = answered.get(AccountRole.RECEIVING)
        receiving = receiving_event and str(receiving_event.data.get("value") or "")
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
                str(events[-1].data.get("step") or spec.id),
                {**now, **{k: v for k, v in events[-1].data.items() if v is not None}},
                events,
            )
            for number, events in sorted(self.recalls.items())
        )

    def _payment_facts(self, spec: StepSpec) -> dict[str, Any]:
        """The payment as the facts describe it, before any status was recorded."""
        recall = spec.recall
        assert recall is not None

        def answer(fact: FactSpec | None) -> str | None:
            event = self.facts.get(fact.id) if fact is not None else None
            if event is None or event.kind != "fact_answered":
                return None
            return str(event.data.get("value") or "") or None

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
        self, number: int, step_id: str, data: dict[str, Any], events: Sequence[Event]
    ) -> PaymentView:
        lang = self.lang
        missing = say("not_recorded", lang)
        history = tuple(self._change(event) for event in events)
        status: str | None = None
        status_text = say("pay.no_status", lang)
        if events:
            last = events[-1]
            status = str(last.data.get("to"))
            status_text = say(
                "pay.status_since",
                lang,
                status=self._status(status, last.data.get("returned_amount")),
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

    def _change(self, event: Event) -> RecallChange:
        data = event.data
        old = data.get("from")
        new = str(data.get("to"))
        short = f"short.{new}"
        change = say(short, self.lang) if has(short) else new
        returned = stored_money_text(data.get("returned_amount"), self.lang)
        if returned:
            change += f" ({returned})"
        return RecallChange(
            seq=event.seq,
            at=event.at,
            by=event.actor_name,
            old=old if isinstance(old, str) else None,
            new=new,
            case_number=data.get("case_number"),
            returned_amount=data.get("returned_amount"),
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

    def _long(self, value: Any) -> str | None:
        try:
            return local_long(parse_utc(value), tz=self.tz, lang=self.lang) if value else None
        except (TypeError, ValueError):
            return str(value)

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
