"""What each event means, in plain words, in the language of the evidence file.

Facts are said again from their stored ``value`` where the language matters (an option's
label, an amount's separators), so an English export of a Dutch incident reads English;
where the value cannot be read, the ``display`` recorded at the time is shown instead.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, assert_never
from zoneinfo import ZoneInfo

from bot.answers.money import format_money, stored_money_text
from bot.chain import parse_utc
from bot.delivery import Purpose, Via
from bot.events import (
    ApAssessed,
    DeliveryAbandoned,
    DeliveryAttempted,
    DeliveryRedirected,
    EscalationSent,
    EventData,
    EvidenceAdded,
    EvidenceExported,
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
    PlanSwitched,
    QuietNudged,
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
)
from bot.evidence.ap import ApAssessment, ap_decision
from bot.evidence.texts import has, local_long, say, span
from bot.messages import Lang
from bot.playbook import FactSpec, FactType, Playbook, RecordSpec
from bot.ports import MANAGERS, DeadlineKind, DeliveryStatus, Event
from bot.timefmt import clock_time

MAX_QUOTE = 300
"""Characters shown of a quoted text (a report, a saved message) or of unknown data; the
JSON export keeps all of it."""


def fact_label(spec: FactSpec, lang: Lang) -> str:
    """The playbook's short label ("Bedrag"); the question itself when it gives none."""
    return spec.label(lang)


def answer_text(
    spec: FactSpec | RecordSpec, value: str, display: str, *, lang: Lang, tz: ZoneInfo
) -> str:
    """A fact's or record's answer said in ``lang``; ``display`` when it cannot be read."""
    if spec.type is FactType.YES_NO and value in ("yes", "no"):
        return say(value, lang)
    if spec.type is FactType.CHOICE:
        return next((o.label.get(lang) for o in spec.options if o.id == value), display)
    if spec.type is FactType.MONEY:
        amount, _, currency = value.partition(" ")
        try:
            return format_money(Decimal(amount), currency, lang)
        except InvalidOperation:
            return display
    if spec.type is FactType.IBAN and value.isalnum():
        return " ".join(value[i : i + 4] for i in range(0, len(value), 4))
    if spec.type is FactType.DATETIME and ":" in display:  # no ":" means "time unknown"
        try:
            return local_long(parse_utc(value), tz=tz, lang=lang)
        except ValueError:
            return display
    return display


def role_text(role: Any, lang: Lang) -> str:
    """ "melder", "collega", "manager"; an unknown role as recorded."""
    key = f"role.{role}"
    return say(key, lang) if has(key) else str(role or "")


class Describer:
    """Turns one event into a sentence; ``names`` (actor key → name) grows as it reads."""

    def __init__(
        self, *, playbook: Playbook, tz: ZoneInfo, lang: Lang, reported_at: datetime
    ) -> None:
        self.playbook = playbook
        self.tz = tz
        self.lang = lang
        self.reported_at = reported_at
        self.names: dict[str, str] = {}
        self.titles = {s.id: s.title.get(lang) for s in playbook.steps}
        self.follow_ups = {f.id: f.title.get(lang) for f in playbook.follow_ups}
        self.facts = {f.id: f for f in playbook.facts}
        self.records = {r.id: r for s in playbook.steps for r in s.record}
        self.assessments = {s.id for s in playbook.steps if s.breach_assessment}
        self.breach_step = playbook.breach_step()

    def __call__(self, event: Event) -> str:
        return self.sentence(event, of(event))

    def sentence(self, event: Event, payload: EventData | UnknownEvent) -> str:
        """``event`` said in a sentence; ``payload`` is ``bot.events.of(event)``."""
        lang = self.lang
        match payload:
            case IncidentOpened():
                return self._incident_opened(payload)
            case ParticipantJoined(name=name, role=role):
                return say(
                    "ev.participant_joined",
                    lang,
                    name=name or event.actor_name,
                    role=role_text(role, lang),
                )
            case StepsPlanned(steps=planned):
                first = self._clock(min(s.due_at for s in planned)) if planned else "—"
                return say("ev.steps_planned", lang, n=len(planned), time=first)
            case QuietNudged(quiet_since=since):
                return say("ev.quiet_nudged", lang, since=self._clock(since))
            case PlanSwitched():
                return self._plan_moved("ev.plan_switched", payload)
            case PlanAdded():
                return self._plan_moved("ev.plan_added", payload)
            case FactAnswered():
                return self._fact_answered(payload)
            case FactUnknown(fact=fact):
                return say("ev.fact_unknown", lang, label=self._fact(fact)[0])
            case StepDone():
                return self._step_done(payload)
            case StepBlocked(step=step, reason=reason):
                return say("ev.step_blocked", lang, title=self.title(step), reason=reason)
            case StepSkipped(step=step, reason=reason):
                return say("ev.step_skipped", lang, title=self.title(step), reason=reason)
            case StepNotApplicable(step=step):
                return say("ev.step_not_applicable", lang, title=self.title(step))
            case StepApplicable(step=step):
                return say("ev.step_applicable", lang, title=self.title(step))
            case ReminderSent():
                which = "remind_before" if payload.deadline is DeadlineKind.REMIND_BEFORE else "due"
                return self._sent(f"ev.reminder_sent.{which}", payload)
            case EscalationSent():
                return self._sent("ev.escalation_sent", payload)
            case DeliveryAttempted():
                return self._delivery_attempted(payload)
            case DeliveryRedirected():
                return say(
                    "ev.delivery_redirected",
                    lang,
                    what=self.what(payload.purpose, payload.deadline),
                    name=self.person(payload.recipient, payload.recipient_name),
                    about=self._about(payload.step, payload.follow_up),
                    n=payload.attempts,
                    error=payload.error or "?",
                    to=self.person(payload.to, payload.to_name),
                )
            case DeliveryAbandoned():
                return say(
                    "ev.delivery_abandoned",
                    lang,
                    what=self.what(payload.purpose, payload.deadline),
                    name=self.person(payload.recipient, payload.recipient_name),
                    about=self._about(payload.step, payload.follow_up),
                    n=payload.attempts,
                    error=payload.error or "?",
                )
            case HandoffRequested():
                via = ", ".join(
                    say(f"via.{w}", lang).strip() for w in payload.via if has(f"via.{w}")
                )
                return say(
                    "ev.handoff_requested",
                    lang,
                    to_name=payload.to_name or payload.to,
                    via=via or "—",
                    title=self.title(payload.step),
                    facts=len(payload.facts),
                    checklist=payload.checklist,
                )
            case HandoffFailed():
                return say(
                    "ev.handoff_failed",
                    lang,
                    to_name=payload.to_name or payload.to,
                    via=self.via(payload.via),
                    title=self.title(payload.step),
                    n=payload.attempts,
                    error=payload.error or "?",
                )
            case HandoffAcknowledged():
                key = f"ack.{payload.via}"
                return say(
                    "ev.handoff_acknowledged",
                    lang,
                    to_name=payload.to_name or payload.to,
                    title=self.title(payload.step),
                    how=say(key, lang) if has(key) else "",
                    by=quote(payload.by or "?"),
                )
            case IncidentStopped(reason=reason):
                return say("ev.incident_stopped", lang, reason=reason)
            case IncidentClosed(forced=forced, reason=reason, open_steps=still_open):
                text = say("ev.incident_closed", lang)
                if forced:
                    text += say(
                        "ev.closed_open_steps", lang, n=len(still_open), reason=reason or "—"
                    )
                return text
            case IncidentReopened():
                return say("ev.incident_reopened", lang)
            case StepAssigned(step=step, to=to, to_name=to_name):
                return say("ev.step_assigned", lang, title=self.title(step), name=to_name or to)
            case FollowUpProposed(follow_up=follow_up, owner=owner, owner_name=owner_name):
                return say(
                    "ev.follow_up_proposed",
                    lang,
                    title=self.follow_up(follow_up),
                    name=self.person(owner, owner_name),
                    due=self._clock(payload.due_at),
                )
            case FollowUpAssigned(follow_up=follow_up, to=to, to_name=to_name):
                return say(
                    "ev.follow_up_assigned",
                    lang,
                    title=self.follow_up(follow_up),
                    name=self.person(to, to_name),
                )
            case FollowUpDone(follow_up=follow_up):
                return say("ev.follow_up_done", lang, title=self.follow_up(follow_up))
            case LeadChanged(to=to, to_name=to_name):
                return say("ev.lead_changed", lang, name=to_name or to)
            case ReminderSnoozed(step=step, until=until, reason=reason):
                return say(
                    "ev.reminder_snoozed",
                    lang,
                    until=self._clock(until),
                    title=self.title(step),
                    reason=reason or "—",
                )
            case EvidenceAdded():
                return self._evidence_added(payload)
            case ApAssessed():
                assessment = ApAssessment.from_event(event, payload, self.breach_step)
                decision = ap_decision(assessment, tz=self.tz, lang=lang)
                return say("ev.ap_assessed", lang, decision=decision)
            case EvidenceExported(format=fmt, events=events, final_hash=final_hash):
                return say(
                    "ev.evidence_exported",
                    lang,
                    format=fmt.upper(),
                    events=events,
                    hash=final_hash[:16],
                )
            case TextPrepared():
                text = say(
                    "ev.text_prepared",
                    lang,
                    title=payload.title or payload.text or "?",
                    language=self.language(payload.language),
                )
                if payload.missing_labels:
                    labels = ", ".join(payload.missing_labels)
                    text += say("ev.text_missing", lang, labels=labels)
                return text
            case RecallStatusChanged():
                return self._recall_status_changed(payload)
            case UnknownEvent(kind=kind, data=data):
                # a kind added after this version, or data it cannot read: as recorded
                raw = json.dumps(data, ensure_ascii=False, sort_keys=True)
                return say("ev.other", lang, kind=kind, data=quote(raw))
            case _:
                assert_never(payload)

    def recipients(self, people: tuple[str, ...]) -> str:
        return ", ".join(
            say("managers", self.lang) if p == MANAGERS else self.names.get(p, p) for p in people
        )

    def title(self, step: str | None) -> str:
        step = step or ""
        return self.titles.get(step, step)

    def _clock(self, when: datetime) -> str:
        return clock_time(when, tz=self.tz, now=self.reported_at, lang=self.lang)

    def _incident_opened(self, opened: IncidentOpened) -> str:
        # After a switch the file is named by the plan switched to; this line says what
        # the incident was opened as (its title as recorded, in the incident's language).
        opened_as = self.playbook.id == opened.playbook or not opened.title
        title = self.playbook.title.get(self.lang) if opened_as else opened.title
        text = say("ev.incident_opened", self.lang, title=title)
        if opened.reported_text:
            text += " " + say("ev.reported_text", self.lang, text=quote(opened.reported_text))
        return text

    def _plan_moved(self, key: str, moved: PlanSwitched | PlanAdded) -> str:
        text = say(key, self.lang, title=moved.title, because=moved.because, n=len(moved.steps))
        if moved.closed_steps:
            titles = ", ".join(self.title(step) for step in moved.closed_steps)
            text += " " + say("ev.plan_left_behind", self.lang, titles=titles)
        return text

    def _fact(self, fact_id: str) -> tuple[str, FactSpec | None]:
        spec = self.facts.get(fact_id)
        label = fact_label(spec, self.lang) if spec else fact_id
        return label, spec

    def _fact_answered(self, answered: FactAnswered) -> str:
        label, spec = self._fact(answered.fact)
        value = answered.value
        display = answered.display or value
        if spec is not None:
            display = answer_text(spec, value, display, lang=self.lang, tz=self.tz)
        text = say("ev.fact_answered", self.lang, label=label, value=display)
        if answered.carried_from:
            origin = self._fact(answered.carried_from)[0]
            text += " " + say("ev.fact_carried", self.lang, label=origin)
        return text

    def _step_done(self, done: StepDone) -> str:
        if done.on_time is False:
            late = span(timedelta(seconds=done.late_seconds), self.lang)
            timing = say("state.late", self.lang, late=late)
        else:
            timing = say("state.on_time", self.lang)
        text = say("ev.step_done", self.lang, title=self.title(done.step), timing=timing)
        if done.step in self.assessments:  # the ap_assessed event after it says it
            return text
        for key, value in done.records.items():
            label, answer = self.record(key, value)
            text += f" {label}: {answer}."
        return text

    def record(self, record_id: str, value: str) -> tuple[str, str]:
        """A recorded value with its label, both in the file's language."""
        spec = self.records.get(record_id)
        if spec is None:
            return record_id, value
        answer = answer_text(spec, value, value, lang=self.lang, tz=self.tz)
        return spec.label.get(self.lang).rstrip("?"), answer

    def _sent(self, key: str, sent: ReminderSent | EscalationSent) -> str:
        to = self.recipients(sent.recipients)
        text = say(key, self.lang, title=self.title(sent.step), to=to)
        return text + self._late(sent.late, sent.planned_at) + say("ev.not_recorded", self.lang)

    # Deliveries: what happened to each message, as the platform answered -------------
    def what(self, purpose: Purpose, deadline: DeadlineKind | None) -> str:
        """ "Herinnering bij de deadline", "Escalatie", "Ochtendoverzicht", ..."""
        name = purpose.value
        if purpose is Purpose.REMINDER:
            name = "remind_before" if deadline is DeadlineKind.REMIND_BEFORE else "due"
        key = f"purpose.{name}"
        return say(key, self.lang) if has(key) else name

    def person(self, key: str | None, name: str | None) -> str:
        if key == MANAGERS:
            return say("managers", self.lang)
        return name if name else self.names.get(str(key), str(key))

    def outcome(self, attempted: DeliveryAttempted) -> str:
        """ "afgeleverd", "aflevering mislukt (Slack: channel_not_found), poging 2 van 3"."""
        key = f"outcome.{attempted.outcome}"
        error = attempted.error or "?"
        text = say(key, self.lang, error=error) if has(key) else attempted.outcome.value
        if attempted.attempts > 1:
            text += say("outcome.attempt", self.lang, n=attempted.attempt, of=attempted.attempts)
        return text

    def _about(self, step: str | None, follow_up: str | None = None) -> str:
        """What a message was about: a step, or (a reminder after the close) a follow-up."""
        if follow_up:
            return f" ({self.follow_up(follow_up)})"
        return f" ({self.title(step)})" if step else ""

    def follow_up(self, follow_up: str) -> str:
        """A follow-up's title in the playbook; its id when the playbook lost it."""
        return self.follow_ups.get(follow_up, follow_up)

    def via(self, via: Via | None) -> str:
        """ " (in de chat van het incident)", " per e-mail"; nothing for a direct message."""
        key = f"via.{via}"
        return say(key, self.lang) if has(key) else ""

    def _delivery_attempted(self, attempted: DeliveryAttempted) -> str:
        to = self.person(attempted.recipient, attempted.recipient_name) + self.via(attempted.via)
        if attempted.instead_of:
            instead_of = self.person(attempted.instead_of, attempted.instead_of_name)
            to += say("delivery.instead_of", self.lang, name=instead_of)
        text = say(
            "ev.delivery_attempted",
            self.lang,
            what=self.what(attempted.purpose, attempted.deadline),
            to=to,
            about=self._about(attempted.step, attempted.follow_up),
            outcome=self.outcome(attempted),
        )
        if attempted.next_attempt_at is not None:
            text += say("ev.next_attempt", self.lang, time=self._clock(attempted.next_attempt_at))
        if attempted.outcome is DeliveryStatus.DELIVERED:
            text += self._late(attempted.late is True, attempted.planned_at)
        return text

    def _late(self, late: bool, planned_at: datetime | None) -> str:
        if not late or planned_at is None:
            return ""
        return say("ev.sent_late", self.lang, planned=self._clock(planned_at))

    def language(self, code: str) -> str:
        """ "Engels" for "en"; an unknown code as recorded."""
        key = f"lang.{code}"
        return say(key, self.lang) if has(key) else str(code or "?")

    def _evidence_added(self, added: EvidenceAdded) -> str:
        text = say(
            "ev.evidence_added",
            self.lang,
            author=added.evidence_author or "?",
            time=added.evidence_time or "?",
            text=quote(added.evidence_text or ""),
        )
        if added.evidence_text_chars is not None:
            kept = len(added.evidence_text or "")
            length = added.evidence_text_chars
            text += say("ev.evidence_cut", self.lang, kept=f"{kept:,}", length=f"{length:,}")
        link = added.evidence_permalink
        return f"{text} {link}" if link else text

    def _recall_status_changed(self, changed: RecallStatusChanged) -> str:
        change = self.recall_status(changed.to)
        if changed.from_:
            change = f"{self.recall_status(changed.from_)} → {change}"
        details = ""
        if changed.case_number:
            details += say("ev.recall_case_number", self.lang, number=changed.case_number)
        returned = stored_money_text(changed.returned_amount, self.lang)
        if returned:
            details += say("ev.recall_returned", self.lang, amount=returned)
        return say("ev.recall_status_changed", self.lang, change=change, details=details)

    def recall_status(self, status: str | None) -> str:
        """A recall status in words; one this version does not know, as recorded."""
        key = f"recall.{status}"
        return say(key, self.lang) if has(key) else str(status)


def quote(text: str) -> str:
    return text if len(text) <= MAX_QUOTE else text[: MAX_QUOTE - 1] + "…"
