"""What each event means, in plain words, in the language of the evidence file.

Facts are said again from their stored ``value`` where the language matters (an option's
label, an amount's separators), so an English export of a Dutch incident reads English;
where the value cannot be read, the ``display`` recorded at the time is shown instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from bot.answers.money import format_money, stored_money_text
from bot.chain import parse_utc
from bot.evidence.ap import ApAssessment, ap_decision
from bot.evidence.texts import has, local_long, say, span
from bot.messages import Lang
from bot.playbook import FactSpec, FactType, Playbook, RecordSpec
from bot.ports import MANAGERS, RECALL_STATUS_CHANGED, Event
from bot.readytext import TextEvent
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
        self._by_kind: dict[str, Callable[[dict[str, Any], Event], str]] = {
            "incident_opened": self._incident_opened,
            "participant_joined": self._participant_joined,
            "steps_planned": self._steps_planned,
            "plan_switched": self._plan_switched,
            "quiet_nudged": self._quiet_nudged,
            "plan_added": self._plan_added,
            "fact_answered": self._fact_answered,
            "fact_unknown": self._fact_unknown,
            "step_done": self._step_done,
            "step_blocked": self._step_blocked,
            "step_skipped": self._step_skipped,
            "step_not_applicable": self._step_not_applicable,
            "step_applicable": self._step_applicable,
            "reminder_sent": self._reminder_sent,
            "escalation_sent": self._escalation_sent,
            "delivery_attempted": self._delivery_attempted,
            "delivery_redirected": self._delivery_redirected,
            "delivery_abandoned": self._delivery_abandoned,
            "incident_stopped": self._incident_stopped,
            "incident_closed": self._incident_closed,
            "incident_reopened": self._incident_reopened,
            "step_assigned": self._step_assigned,
            "follow_up_proposed": self._follow_up_proposed,
            "follow_up_assigned": self._follow_up_assigned,
            "follow_up_done": self._follow_up_done,
            "lead_changed": self._lead_changed,
            "reminder_snoozed": self._reminder_snoozed,
            "evidence_added": self._evidence_added,
            "ap_assessed": self._ap_assessed,
            "evidence_exported": self._evidence_exported,
            "handoff_requested": self._handoff_requested,
            "handoff_failed": self._handoff_failed,
            "handoff_acknowledged": self._handoff_acknowledged,
            TextEvent.PREPARED.value: self._text_prepared,
            RECALL_STATUS_CHANGED: self._recall_status_changed,
        }

    def __call__(self, event: Event) -> str:
        describe = self._by_kind.get(event.kind)
        if describe is None:  # a kind added after this version: say it raw, never fail
            raw = json.dumps(event.data, ensure_ascii=False, sort_keys=True)
            return say("ev.other", self.lang, kind=event.kind, data=quote(raw))
        return describe(event.data, event)

    def recipients(self, value: Any) -> str:
        people = value if isinstance(value, list) else []
        return ", ".join(
            say("managers", self.lang) if p == MANAGERS else self.names.get(str(p), str(p))
            for p in people
        )

    def _title(self, data: dict[str, Any]) -> str:
        step = str(data.get("step", ""))
        return self.titles.get(step, step)

    def _clock(self, when: datetime) -> str:
        return clock_time(when, tz=self.tz, now=self.reported_at, lang=self.lang)

    # One method per event kind --------------------------------------------------------
    def _incident_opened(self, data: dict[str, Any], event: Event) -> str:
        # After a switch the file is named by the plan switched to; this line says what
        # the incident was opened as (its title as recorded, in the incident's language).
        opened_as = self.playbook.id == data.get("playbook") or not data.get("title")
        title = self.playbook.title.get(self.lang) if opened_as else str(data["title"])
        text = say("ev.incident_opened", self.lang, title=title)
        if data.get("reported_text"):
            text += " " + say("ev.reported_text", self.lang, text=quote(data["reported_text"]))
        return text

    def _participant_joined(self, data: dict[str, Any], event: Event) -> str:
        name = str(data.get("name") or event.actor_name)
        role = role_text(data.get("role"), self.lang)
        return say("ev.participant_joined", self.lang, name=name, role=role)

    def _steps_planned(self, data: dict[str, Any], event: Event) -> str:
        steps = data.get("steps")
        planned = steps if isinstance(steps, list) else []
        dues = [parse_utc(s["due_at"]) for s in planned if isinstance(s, dict) and "due_at" in s]
        first = self._clock(min(dues)) if dues else "—"
        return say("ev.steps_planned", self.lang, n=len(planned), time=first)

    def _quiet_nudged(self, data: dict[str, Any], event: Event) -> str:
        since = data.get("quiet_since")
        when = self._clock(parse_utc(since)) if isinstance(since, str) else "?"
        return say("ev.quiet_nudged", self.lang, since=when)

    def _plan_switched(self, data: dict[str, Any], event: Event) -> str:
        return self._plan_moved("ev.plan_switched", data)

    def _plan_added(self, data: dict[str, Any], event: Event) -> str:
        return self._plan_moved("ev.plan_added", data)

    def _plan_moved(self, key: str, data: dict[str, Any]) -> str:
        steps = data.get("steps")
        closed = data.get("closed_steps")
        text = say(
            key,
            self.lang,
            title=str(data.get("title", data.get("plan", ""))),
            because=str(data.get("because", "")),
            n=len(steps) if isinstance(steps, list) else 0,
        )
        if isinstance(closed, list) and closed:
            titles = ", ".join(self._title({"step": step}) for step in closed)
            text += " " + say("ev.plan_left_behind", self.lang, titles=titles)
        return text

    def _fact(self, data: dict[str, Any]) -> tuple[str, FactSpec | None]:
        spec = self.facts.get(str(data.get("fact")))
        label = fact_label(spec, self.lang) if spec else str(data.get("fact"))
        return label, spec

    def _fact_answered(self, data: dict[str, Any], event: Event) -> str:
        label, spec = self._fact(data)
        value = str(data.get("value") or "")
        display = str(data.get("display") or value)
        if spec is not None:
            display = answer_text(spec, value, display, lang=self.lang, tz=self.tz)
        text = say("ev.fact_answered", self.lang, label=label, value=display)
        if data.get("carried_from"):
            origin = self._fact({"fact": data["carried_from"]})[0]
            text += " " + say("ev.fact_carried", self.lang, label=origin)
        return text

    def _fact_unknown(self, data: dict[str, Any], event: Event) -> str:
        return say("ev.fact_unknown", self.lang, label=self._fact(data)[0])

    def _step_done(self, data: dict[str, Any], event: Event) -> str:
        if data.get("on_time") is False:
            late = span(timedelta(seconds=int(data.get("late_seconds") or 0)), self.lang)
            timing = say("state.late", self.lang, late=late)
        else:
            timing = say("state.on_time", self.lang)
        text = say("ev.step_done", self.lang, title=self._title(data), timing=timing)
        if data.get("step") in self.assessments:  # the ap_assessed event after it says it
            return text
        records = data.get("records")
        for key, value in (records if isinstance(records, dict) else {}).items():
            label, answer = self.record(str(key), str(value))
            text += f" {label}: {answer}."
        return text

    def record(self, record_id: str, value: str) -> tuple[str, str]:
        """A recorded value with its label, both in the file's language."""
        spec = self.records.get(record_id)
        if spec is None:
            return record_id, value
        answer = answer_text(spec, value, value, lang=self.lang, tz=self.tz)
        return spec.label.get(self.lang).rstrip("?"), answer

    def _step_blocked(self, data: dict[str, Any], event: Event) -> str:
        return say("ev.step_blocked", self.lang, title=self._title(data), reason=data.get("reason"))

    def _step_skipped(self, data: dict[str, Any], event: Event) -> str:
        return say("ev.step_skipped", self.lang, title=self._title(data), reason=data.get("reason"))

    def _step_not_applicable(self, data: dict[str, Any], event: Event) -> str:
        return say("ev.step_not_applicable", self.lang, title=self._title(data))

    def _step_applicable(self, data: dict[str, Any], event: Event) -> str:
        return say("ev.step_applicable", self.lang, title=self._title(data))

    def _reminder_sent(self, data: dict[str, Any], event: Event) -> str:
        which = "remind_before" if data.get("deadline") == "remind_before" else "due"
        text = say(
            f"ev.reminder_sent.{which}",
            self.lang,
            title=self._title(data),
            to=self.recipients(data.get("recipients")),
        )
        return text + self._late(data) + say("ev.not_recorded", self.lang)

    def _escalation_sent(self, data: dict[str, Any], event: Event) -> str:
        text = say(
            "ev.escalation_sent",
            self.lang,
            title=self._title(data),
            to=self.recipients(data.get("recipients")),
        )
        return text + self._late(data) + say("ev.not_recorded", self.lang)

    # Deliveries: what happened to each message, as the platform answered -------------
    def what(self, data: dict[str, Any]) -> str:
        """ "Herinnering bij de deadline", "Escalatie", "Ochtendoverzicht", ..."""
        purpose = str(data.get("purpose") or "")
        if purpose == "reminder":
            purpose = "remind_before" if data.get("deadline") == "remind_before" else "due"
        key = f"purpose.{purpose}"
        return say(key, self.lang) if has(key) else purpose

    def person(self, data: dict[str, Any], key: str) -> str:
        if data.get(key) == MANAGERS:
            return say("managers", self.lang)
        name = data.get(f"{key}_name")
        return str(name) if name else self.names.get(str(data.get(key)), str(data.get(key)))

    def outcome(self, data: dict[str, Any]) -> str:
        """ "afgeleverd", "aflevering mislukt (Slack: channel_not_found), poging 2 van 3"."""
        status = str(data.get("outcome") or "")
        key = f"outcome.{status}"
        text = say(key, self.lang, error=data.get("error") or "?") if has(key) else status
        attempts = data.get("attempts")
        if isinstance(attempts, int) and attempts > 1:
            text += say("outcome.attempt", self.lang, n=data.get("attempt"), of=attempts)
        return text

    def _about(self, data: dict[str, Any]) -> str:
        if data.get("follow_up"):
            return f" ({self._follow_up(data)})"
        return f" ({self._title(data)})" if data.get("step") else ""

    def _follow_up(self, data: dict[str, Any]) -> str:
        follow_up = str(data.get("follow_up", ""))
        return self.follow_ups.get(follow_up, follow_up)

    def _follow_up_proposed(self, data: dict[str, Any], event: Event) -> str:
        return say(
            "ev.follow_up_proposed",
            self.lang,
            title=self._follow_up(data),
            name=self.person(data, "owner"),
            due=self._clock(parse_utc(str(data.get("due_at")))),
        )

    def _follow_up_assigned(self, data: dict[str, Any], event: Event) -> str:
        return say(
            "ev.follow_up_assigned",
            self.lang,
            title=self._follow_up(data),
            name=self.person(data, "to"),
        )

    def _follow_up_done(self, data: dict[str, Any], event: Event) -> str:
        return say("ev.follow_up_done", self.lang, title=self._follow_up(data))

    def via(self, data: dict[str, Any]) -> str:
        """ " (in de chat van het incident)", " per e-mail"; nothing for a direct message."""
        key = f"via.{data.get('via')}"
        return say(key, self.lang) if has(key) else ""

    def _delivery_attempted(self, data: dict[str, Any], event: Event) -> str:
        to = self.person(data, "recipient") + self.via(data)
        if data.get("instead_of"):
            to += say("delivery.instead_of", self.lang, name=self.person(data, "instead_of"))
        text = say(
            "ev.delivery_attempted",
            self.lang,
            what=self.what(data),
            to=to,
            about=self._about(data),
            outcome=self.outcome(data),
        )
        if isinstance(data.get("next_attempt_at"), str):
            text += say(
                "ev.next_attempt", self.lang, time=self._clock(parse_utc(data["next_attempt_at"]))
            )
        return text + (self._late(data) if data.get("outcome") == "delivered" else "")

    def _handoff_requested(self, data: dict[str, Any], event: Event) -> str:
        given = data.get("via")
        ways = given if isinstance(given, list) else []
        via = ", ".join(say(f"via.{w}", self.lang).strip() for w in ways if has(f"via.{w}"))
        facts = data.get("facts")
        return say(
            "ev.handoff_requested",
            self.lang,
            to_name=data.get("to_name") or data.get("to"),
            via=via or "—",
            title=self._title(data),
            facts=len(facts) if isinstance(facts, list) else "?",
            checklist=data.get("checklist", "?"),
        )

    def _handoff_failed(self, data: dict[str, Any], event: Event) -> str:
        return say(
            "ev.handoff_failed",
            self.lang,
            to_name=data.get("to_name") or data.get("to"),
            via=self.via(data),
            title=self._title(data),
            n=data.get("attempts", "?"),
            error=data.get("error") or "?",
        )

    def _handoff_acknowledged(self, data: dict[str, Any], event: Event) -> str:
        key = f"ack.{data.get('via')}"
        return say(
            "ev.handoff_acknowledged",
            self.lang,
            to_name=data.get("to_name") or data.get("to"),
            title=self._title(data),
            how=say(key, self.lang) if has(key) else "",
            by=quote(str(data.get("by") or "?")),
        )

    def _delivery_redirected(self, data: dict[str, Any], event: Event) -> str:
        return say(
            "ev.delivery_redirected",
            self.lang,
            what=self.what(data),
            name=self.person(data, "recipient"),
            about=self._about(data),
            n=data.get("attempts", "?"),
            error=data.get("error") or "?",
            to=self.person(data, "to"),
        )

    def _delivery_abandoned(self, data: dict[str, Any], event: Event) -> str:
        return say(
            "ev.delivery_abandoned",
            self.lang,
            what=self.what(data),
            name=self.person(data, "recipient"),
            about=self._about(data),
            n=data.get("attempts", "?"),
            error=data.get("error") or "?",
        )

    def _late(self, data: dict[str, Any]) -> str:
        if data.get("late") is not True or not isinstance(data.get("planned_at"), str):
            return ""
        return say("ev.sent_late", self.lang, planned=self._clock(parse_utc(data["planned_at"])))

    def _incident_stopped(self, data: dict[str, Any], event: Event) -> str:
        return say("ev.incident_stopped", self.lang, reason=data.get("reason"))

    def _incident_closed(self, data: dict[str, Any], event: Event) -> str:
        text = say("ev.incident_closed", self.lang)
        still_open = data.get("open_steps")
        if data.get("forced") and isinstance(still_open, list):
            reason = data.get("reason") or "—"
            text += say("ev.closed_open_steps", self.lang, n=len(still_open), reason=reason)
        return text

    def _incident_reopened(self, data: dict[str, Any], event: Event) -> str:
        return say("ev.incident_reopened", self.lang)

    def _step_assigned(self, data: dict[str, Any], event: Event) -> str:
        name = data.get("to_name") or data.get("to")
        return say("ev.step_assigned", self.lang, title=self._title(data), name=name)

    def _lead_changed(self, data: dict[str, Any], event: Event) -> str:
        return say("ev.lead_changed", self.lang, name=data.get("to_name") or data.get("to"))

    def _reminder_snoozed(self, data: dict[str, Any], event: Event) -> str:
        try:
            until = self._clock(parse_utc(str(data.get("until"))))
        except ValueError:
            until = str(data.get("until"))
        return say(
            "ev.reminder_snoozed",
            self.lang,
            until=until,
            title=self._title(data),
            reason=data.get("reason") or "—",
        )

    def _evidence_exported(self, data: dict[str, Any], event: Event) -> str:
        return say(
            "ev.evidence_exported",
            self.lang,
            format=str(data.get("format", "?")).upper(),
            events=data.get("events", "?"),
            hash=str(data.get("final_hash", ""))[:16],
        )

    def _text_prepared(self, data: dict[str, Any], event: Event) -> str:
        text = say(
            "ev.text_prepared",
            self.lang,
            title=data.get("title") or data.get("text") or "?",
            language=self.language(data.get("language")),
        )
        labels = data.get("missing_labels")
        if isinstance(labels, list) and labels:
            text += say("ev.text_missing", self.lang, labels=", ".join(map(str, labels)))
        return text

    def language(self, code: Any) -> str:
        """ "Engels" for "en"; an unknown code as recorded."""
        key = f"lang.{code}"
        return say(key, self.lang) if has(key) else str(code or "?")

    def _evidence_added(self, data: dict[str, Any], event: Event) -> str:
        text = say(
            "ev.evidence_added",
            self.lang,
            author=data.get("evidence_author") or "?",
            time=data.get("evidence_time") or "?",
            text=quote(str(data.get("evidence_text") or "")),
        )
        length = data.get("evidence_text_chars")
        if isinstance(length, int) and not isinstance(length, bool):
            kept = len(str(data.get("evidence_text") or ""))
            text += say("ev.evidence_cut", self.lang, kept=f"{kept:,}", length=f"{length:,}")
        link = data.get("evidence_permalink")
        return f"{text} {link}" if link else text

    def _recall_status_changed(self, data: dict[str, Any], event: Event) -> str:
        change = self.recall_status(data.get("to"))
        if data.get("from"):
            change = f"{self.recall_status(data.get('from'))} → {change}"
        details = ""
        if data.get("case_number"):
            details += say("ev.recall_case_number", self.lang, number=data["case_number"])
        returned = stored_money_text(data.get("returned_amount"), self.lang)
        if returned:
            details += say("ev.recall_returned", self.lang, amount=returned)
        return say("ev.recall_status_changed", self.lang, change=change, details=details)

    def recall_status(self, status: Any) -> str:
        """A recall status in words; one this version does not know, as recorded."""
        key = f"recall.{status}"
        return say(key, self.lang) if has(key) else str(status)

    def _ap_assessed(self, data: dict[str, Any], event: Event) -> str:
        assessment = ApAssessment.from_event(event, self.breach_step)
        decision = ap_decision(assessment, tz=self.tz, lang=self.lang)
        return say("ev.ap_assessed", self.lang, decision=decision)


def quote(text: str) -> str:
    return text if len(text) <= MAX_QUOTE else text[: MAX_QUOTE - 1] + "…"
