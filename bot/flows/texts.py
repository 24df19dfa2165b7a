"""Texts ready to send: a step's button fills one of the playbook's texts with what the
incident knows, shows it for copying and records it, exactly as shown, on the timeline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.answers.iban import bank_of
from bot.events import EvidenceAdded, TextPrepared, of
from bot.evidence.describe import answer_text, fact_label
from bot.evidence.texts import local_long
from bot.flows import records
from bot.flows.turn import Turn
from bot.i18n import t
from bot.messages import Button, Field, FillFacts, Lang, Reply, ReplyKind, StepText
from bot.organisation import DEFAULT_ORGANISATION, Organisation
from bot.playbook import AccountRole, FactSpec, FactType, Playbook, RecordSpec
from bot.playbook.placeholders import IncidentValue, Placeholder, PlaceholderKind, parse
from bot.ports import Event, Fact, FactStatus, Incident, Participant, Step, StepStatus
from bot.readytext import fill
from bot.timefmt import clock_time


async def prepare(turn: Turn, action: StepText) -> None:
    """Fill the text in the language the button asks (the person's own by default),
    record it and show it."""
    incident = await turn.lock_incident(action.incident_id)
    await turn.ensure_participant(incident)
    playbook = turn.playbook_of(incident)
    spec = playbook.texts.get(action.text_id)
    if spec is None:
        raise turn.fail("stale_button")
    lang: Lang = action.lang or turn.lang
    known = await _read(turn, incident, playbook, lang)
    prepared = fill(
        text_id=action.text_id,
        title=spec.title.get(lang),
        body=spec.body.get(lang),
        lang=lang,
        value_of=known.value,
        label_of=known.label,
    )
    await turn.record(incident.id, TextPrepared.of(prepared))
    fields = []
    if prepared.missing:
        labels = ", ".join(missing.label for missing in prepared.missing)
        fields.append(Field(turn.t("text_missing"), turn.t("text_missing_value", labels=labels)))
    fields.append(Field(turn.t("text_recorded_label"), turn.t("text_recorded")))
    other: Lang = "en" if lang == "nl" else "nl"
    buttons = [
        Button(
            turn.t(f"text_in_{other}"),
            StepText(incident.id, action.text_id, other),
        )
    ]
    if any(known.asked_fact(m.placeholder) for m in prepared.missing):
        buttons.append(Button(turn.t("fill_facts"), FillFacts(incident.id)))
    turn.say(
        Reply(
            kind=ReplyKind.TEXT,
            title=f"📋 {prepared.title}",
            text=prepared.body,
            fields=tuple(fields),
            buttons=tuple(buttons),
            incident_id=incident.id,
        )
    )


async def _read(turn: Turn, incident: Incident, playbook: Playbook, lang: Lang) -> _Known:
    events = await turn.tx.get_events(incident.id)
    steps = await turn.tx.get_steps(incident.id)
    recorded: dict[str, str] = {}
    for step in steps:
        if step.status is StepStatus.DONE:
            recorded.update(step.records)
        elif playbook.step(step.step_id).breach_assessment:  # "not notified yet" kept these
            recorded.update(records.carried_over(playbook.step(step.step_id), events))
    return _Known(
        incident=incident,
        playbook=playbook,
        org=turn.org,
        lang=lang,
        facts=await turn.tx.get_facts(incident.id),
        records=recorded,
        steps=steps,
        people=await turn.tx.get_participants(incident.id),
        events=events,
    )


@dataclass(frozen=True)
class _Known:
    """What the incident knows, said in ``lang``, by placeholder."""

    incident: Incident
    playbook: Playbook
    org: Organisation
    lang: Lang
    facts: Mapping[str, Fact]
    records: Mapping[str, str]
    steps: Sequence[Step]
    people: Sequence[Participant]
    events: Sequence[Event]

    def value(self, raw: str) -> str | None:
        placeholder = parse(raw, self.playbook)
        match placeholder.kind:
            case PlaceholderKind.FACT:
                return self._answer(self.playbook.fact(placeholder.name))
            case PlaceholderKind.FACT_BANK:
                return self._bank(self.playbook.fact(placeholder.name))
            case PlaceholderKind.ACCOUNT | PlaceholderKind.ACCOUNT_BANK:
                spec = self._account(placeholder)
                if spec is None:
                    return None
                if placeholder.kind is PlaceholderKind.ACCOUNT:
                    return self._answer(spec)
                return self._bank(spec)
            case PlaceholderKind.RECORD:
                return self._record(placeholder.name)
            case PlaceholderKind.INCIDENT:
                return self._incident(IncidentValue(placeholder.name))

    def asked_fact(self, raw: str) -> bool:
        """The placeholder is the answer to one of the plan's facts: the person can still
        give it in the chat ("fill in details")."""
        placeholder = parse(raw, self.playbook)
        if placeholder.kind is PlaceholderKind.FACT:
            return True
        return (
            placeholder.kind is PlaceholderKind.ACCOUNT and self._account(placeholder) is not None
        )

    def label(self, raw: str) -> str:
        placeholder = parse(raw, self.playbook)
        lang = self.lang
        match placeholder.kind:
            case PlaceholderKind.FACT:
                return fact_label(self.playbook.fact(placeholder.name), lang)
            case PlaceholderKind.FACT_BANK:
                of = fact_label(self.playbook.fact(placeholder.name), lang)
                return t("text_label_bank", lang, of=of)
            case PlaceholderKind.ACCOUNT:
                return t(f"text_label_account.{placeholder.name}", lang)
            case PlaceholderKind.ACCOUNT_BANK:
                of = t(f"text_label_account.{placeholder.name}", lang)
                return t("text_label_bank", lang, of=of)
            case PlaceholderKind.RECORD:
                spec = self._record_spec(placeholder.name)
                return spec.label.get(lang).rstrip("?") if spec else placeholder.name
            case PlaceholderKind.INCIDENT:
                return t(f"text_label_incident.{placeholder.name}", lang)

    # The values ---------------------------------------------------------------------
    def _raw_answer(self, spec: FactSpec) -> str | None:
        fact = self.facts.get(spec.id)
        if fact is None or fact.status is not FactStatus.ANSWERED or not fact.value:
            return None
        return fact.value

    def _answer(self, spec: FactSpec) -> str | None:
        value = self._raw_answer(spec)
        if value is None:
            return None
        return answer_text(spec, value, value, lang=self.lang, tz=self.org.tz)

    def _bank(self, spec: FactSpec) -> str | None:
        value = self._raw_answer(spec)
        return bank_of(value) if value is not None and spec.type is FactType.IBAN else None

    def _account(self, placeholder: Placeholder) -> FactSpec | None:
        role = AccountRole(placeholder.name)
        return next((f for f in self.playbook.facts if f.account is role), None)

    def _record_spec(self, record_id: str) -> RecordSpec | None:
        return next((r for s in self.playbook.steps for r in s.record if r.id == record_id), None)

    def _record(self, record_id: str) -> str | None:
        value, spec = self.records.get(record_id), self._record_spec(record_id)
        if not value or spec is None:
            return None
        return answer_text(spec, value, value, lang=self.lang, tz=self.org.tz)

    def _incident(self, which: IncidentValue) -> str | None:
        incident, lang, tz = self.incident, self.lang, self.org.tz
        match which:
            case IncidentValue.ID:
                return incident.id
            case IncidentValue.ORGANISATION:  # the built-in placeholder name is no name
                name = self.org.name
                return None if name == DEFAULT_ORGANISATION.name else name
            case IncidentValue.TITLE:
                return self.playbook.title.get(lang)
            case IncidentValue.REPORTED_AT:
                return local_long(incident.reported_at, tz=tz, lang=lang)
            case IncidentValue.REPORTER:
                return incident.reporter_name
            case IncidentValue.PEOPLE:
                return ", ".join(person.name for person in self.people) or None
            case IncidentValue.FACTS:
                return self._fact_lines()
            case IncidentValue.TIMELINE:
                return self._timeline()
            case IncidentValue.EVIDENCE:
                return self._evidence()

    def _fact_lines(self) -> str | None:
        lines = []
        for spec in self.playbook.facts:
            answer = self._answer(spec)
            if answer is None:
                continue
            bank = self._bank(spec)
            bank_text = f" ({bank})" if bank and bank not in answer else ""
            lines.append(f"- {fact_label(spec, self.lang)}: {answer}{bank_text}")
        return "\n".join(lines) or None

    def _timeline(self) -> str:
        """The report, then each step done or skipped, in the order it happened."""
        lang, tz, reported = self.lang, self.org.tz, self.incident.reported_at
        lines = [
            "- "
            + t(
                "text_timeline_reported",
                lang,
                time=local_long(reported, tz=tz, lang=lang),
                who=self.incident.reporter_name,
            )
        ]
        closed = [
            s
            for s in self.steps
            if s.status in (StepStatus.DONE, StepStatus.SKIPPED) and s.done_at is not None
        ]
        for step in sorted(closed, key=lambda s: s.done_at or reported):
            key = (
                "text_timeline_done" if step.status is StepStatus.DONE else "text_timeline_skipped"
            )
            lines.append(
                "- "
                + t(
                    key,
                    lang,
                    time=clock_time(step.done_at or reported, tz=tz, now=reported, lang=lang),
                    title=self.playbook.step(step.step_id).title.get(lang),
                    who=step.done_by_name or "?",
                    reason=step.reason or "",
                )
            )
        return "\n".join(lines)

    def _evidence(self) -> str | None:
        """The messages saved as evidence in Noodrem (a reported message, say)."""
        lines = [
            "- "
            + t(
                "text_evidence_item",
                self.lang,
                author=added.evidence_author or "?",
                time=added.evidence_time or "?",
            )
            for event in self.events
            if isinstance(added := of(event), EvidenceAdded)
        ]
        return "\n".join(lines) or None
