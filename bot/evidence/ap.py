"""The breach assessment as the evidence file reads it from ``ap_assessed`` events.

The assessment is asked in the chat and recorded as an event, keyed by the step's record
ids; the playbook's ``breach_register`` says which record answers which question, so the
summary page, the timeline and the breach register read any plan's assessment the same
way. Before the first assessment an incident reads "not assessed yet", which is itself
what the register must show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from bot.chain import parse_utc
from bot.events import NOT_RECORDED, ApAssessed
from bot.evidence.model import Row
from bot.evidence.texts import local_long, say
from bot.messages import Lang
from bot.playbook import ApState, BreachQuestion, LocalText, StepSpec
from bot.ports import Event

RISKS = ("none", "risk", "high")
Personal = Literal["yes", "no", "unknown"]


def _personal(value: object) -> Personal:
    """A yes/no record is stored as a boolean, a choice as its option id."""
    if value is True or value == "yes":
        return "yes"
    if value is False or value == "no":
        return "no"
    return "unknown"


def _state(recorded: object, decision: object) -> ApState | None:
    """The recorded state; an event from before the states (a yes/no decision) reads as
    notified / not notifying, which is what "yes" and "no" meant then."""
    for value in (recorded, decision):
        if isinstance(value, str) and value in ApState.__members__.values():
            return ApState(value)
    if decision is True:
        return ApState.NOTIFIED
    if decision is False:
        return ApState.NOT_NOTIFYING
    return None


@dataclass(frozen=True, slots=True)
class ApAssessment:
    """One ``ap_assessed`` event, read tolerantly: a missing field reads as empty, so a
    half-filled assessment still shows what is known."""

    at: datetime
    by: str
    personal: Personal
    which_data: str
    whose: str
    how_many: str
    risk: str  # the answer: "none" | "risk" | "high", or one of the plan's own options
    state: ApState | None  # None: an event that says no decision (read as "not assessed")
    notification_number: str | None
    notification_time: datetime | None
    reason: str  # why not notified
    people_informed: bool
    measures: str
    late: bool  # assessed after the deadline
    delay_reason: str
    risk_labels: Mapping[str, LocalText] = field(default_factory=dict)

    @classmethod
    def from_event(cls, event: Event, assessed: ApAssessed, step: StepSpec | None) -> ApAssessment:
        """``step`` is the playbook's breach-assessment step; without one (or without its
        ``breach_register``) only what every assessment has is read."""
        data = assessed.records
        answers = {} if step is None else step.breach_register

        def value(question: BreachQuestion) -> Any:
            record_id = answers.get(question)
            return None if record_id is None else data.get(record_id)

        def text(question: BreachQuestion) -> str:
            got = value(question)
            return "" if got is None else str(got)

        notified = value(BreachQuestion.NOTIFICATION_TIME)
        try:
            notification_time = parse_utc(notified) if isinstance(notified, str) else None
        except ValueError:
            notification_time = None
        number = value(BreachQuestion.NOTIFICATION_NUMBER)
        risk_record = answers.get(BreachQuestion.RISK)
        risk_labels = {
            option.id: option.label
            for record in (step.record if step else ())
            if record.id == risk_record
            for option in record.options
        }
        return cls(
            at=event.at,
            by=event.actor_name,
            personal=_personal(value(BreachQuestion.PERSONAL)),
            which_data=text(BreachQuestion.WHICH_DATA),
            whose=text(BreachQuestion.WHOSE),
            how_many=text(BreachQuestion.HOW_MANY),
            risk=text(BreachQuestion.RISK),
            state=_state(
                None if assessed.ap_state is NOT_RECORDED else assessed.ap_state,
                value(BreachQuestion.DECISION),
            ),
            notification_number=None if number in (None, "") else str(number),
            notification_time=notification_time,
            reason=text(BreachQuestion.REASON_NOT_NOTIFIED),
            people_informed=value(BreachQuestion.PEOPLE_INFORMED) is True,
            measures=text(BreachQuestion.MEASURES),
            late=assessed.late,
            delay_reason="" if data.get("delay_reason") is None else str(data["delay_reason"]),
            risk_labels=risk_labels,
        )


def ap_decision(ap: ApAssessment | None, *, tz: ZoneInfo, lang: Lang) -> str:
    """Exactly the recorded state: "besloten te melden, nog niet gemeld", "gemeld bij de AP
    op ..., meldnummer ...", "voorlopig gemeld ..., nog aan te vullen", "besloten niet te
    melden", or "nog niet beoordeeld"."""
    if ap is None or ap.state is None:
        return say("ap_not_assessed", lang)
    if not ap.state.notified:
        return say(f"ap_state.{ap.state.value}", lang)
    when = (
        "—" if ap.notification_time is None else local_long(ap.notification_time, tz=tz, lang=lang)
    )
    number = ap.notification_number or "—"
    return say(f"ap_state.{ap.state.value}", lang, time=when, number=number)


def risk_text(ap: ApAssessment, lang: Lang) -> str:
    """Our own words for the usual three levels; the plan's option label for others."""
    if ap.risk in RISKS:
        return say(f"risk.{ap.risk}", lang)
    label = ap.risk_labels.get(ap.risk)
    return label.get(lang) if label else ap.risk


def inform_text(ap: ApAssessment, lang: Lang) -> str:
    return say("ap_inform_yes" if ap.people_informed else "ap_inform_no", lang)


def consequences_text(ap: ApAssessment, lang: Lang) -> str:
    """ "een risico; zij worden niet geïnformeerd"; without a risk answer, only the second."""
    return "; ".join(part for part in (risk_text(ap, lang), inform_text(ap, lang)) if part)


def involved_text(ap: ApAssessment, lang: Lang) -> str:
    """ "ja — namen, IBAN's — van klanten (ongeveer 250)": the what and whom in one line."""
    parts = [say(ap.personal, lang)]
    if ap.which_data:
        parts.append(ap.which_data)
    if ap.whose:
        count = f" ({ap.how_many})" if ap.how_many else ""
        parts.append(say("ap_of_whom", lang, people=ap.whose) + count)
    return " — ".join(parts)


def ap_rows(ap: ApAssessment | None, *, tz: ZoneInfo, lang: Lang) -> tuple[Row, ...]:
    """The assessment as summary rows; one row saying so when there is none yet."""
    decision = Row(say("ap_decision", lang), ap_decision(ap, tz=tz, lang=lang))
    if ap is None:
        return (decision,)
    rows = [
        decision,
        Row(say("ap_reason", lang), ap.reason),
        Row(say("ap_delay_reason", lang), ap.delay_reason),
        Row(say("ap_involved", lang), involved_text(ap, lang)),
        Row(say("ap_risk", lang), consequences_text(ap, lang)),
        Row(say("ap_measures", lang), ap.measures),
        Row(
            say("ap_assessed_by", lang),
            say("ap_by", lang, time=local_long(ap.at, tz=tz, lang=lang), name=ap.by),
        ),
    ]
    return tuple(row for row in rows if row.value)
