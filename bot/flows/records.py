"""What a step records when it is done: a case number, or a guided assessment.

A step's records are asked one at a time. A record can be typed (a choice offered as
buttons, a date checked like a fact) and can depend on an earlier answer of the same step,
which turns the AP step into the 72-hour data-breach assessment.

The assessment's decision is one of the closed set ``ApState``; the playbook's
``breach_register`` says which record holds it and which hold the AP's number and time.
"Not yet" is always a choice: the number and time questions carry a "not notified yet"
button, and a typed "nog niet gemeld" is read as that choice, never kept as a number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache

from bot import cards
from bot.answers import AnswerError, parse_answer
from bot.chain import parse_utc
from bot.events import ApAssessed, of
from bot.flows import recall
from bot.flows.state import AwaitingRecord
from bot.flows.turn import Turn
from bot.i18n import t
from bot.messages import Button, InputRequest, RecordOption, Reply, ReplyKind, StepDone
from bot.playbook import ApState, BreachQuestion, FactType, LocalText, RecordSpec, StepSpec
from bot.ports import Event, Incident, Step
from bot.timefmt import clock_time

MAX_FIELD = 500  # case numbers and reasons: long enough for any, short enough for a PDF line


@cache
def delay_reason() -> RecordSpec:
    """What a late breach assessment also records; made once, on first use, from the catalogue."""
    return RecordSpec(
        id="delay_reason",
        type=FactType.TEXT,
        label=LocalText(nl=t("delay_reason_question", "nl"), en=t("delay_reason_question", "en")),
    )


# "nog niet (gemeld)", "not yet", "n.v.t.": typed where the AP's number or time is asked,
# these mean the notification has not been made, whatever else the sentence says.
NOT_YET = re.compile(
    r"\b(nog\s+niet|niet\s+gemeld|nog\s+geen|geen\s+meldnummer|not\s+yet|not\s+notified|"
    r"not\s+reported|no\s+number|n\.?v\.?t\.?|n/a)\b",
    re.IGNORECASE,
)


def means_not_yet(text: str) -> bool:
    return NOT_YET.search(text) is not None


def record_for(spec: StepSpec, question: BreachQuestion) -> str | None:
    """The id of the record that answers a breach-register question (the playbook says)."""
    return spec.breach_register.get(question) if spec.breach_assessment else None


def state_of(spec: StepSpec, collected: Mapping[str, str]) -> ApState | None:
    """The decision so far, if the step is the assessment and it has been answered."""
    decision = record_for(spec, BreachQuestion.DECISION)
    value = collected.get(decision) if decision else None
    return ApState(value) if value in {state.value for state in ApState} else None


def not_yet_answers(spec: StepSpec, answers: dict[str, str]) -> bool:
    """A typed "nog niet gemeld" where the AP's number or time is asked becomes the
    decision "not notified yet"; the text itself is dropped. Says whether it did."""
    decision = record_for(spec, BreachQuestion.DECISION)
    if decision is None:
        return False
    asked = [
        record_for(spec, question)
        for question in (BreachQuestion.NOTIFICATION_NUMBER, BreachQuestion.NOTIFICATION_TIME)
    ]
    hit = [rid for rid in asked if rid and rid in answers and means_not_yet(answers[rid])]
    for record_id in hit:
        del answers[record_id]
    if hit:
        answers[decision] = ApState.NOTIFY_LATER.value
    return bool(hit)


def pending(
    spec: StepSpec, step: Step, collected: Mapping[str, str], *, late: bool
) -> list[RecordSpec]:
    """The records still to ask, in order, given the answers so far. A late assessment
    asks why, unless it ends in "not yet" (the step then stays open)."""
    wanted = [r for r in spec.record if r.when is None or r.when.holds(collected)]
    state = state_of(spec, collected)
    if late and spec.breach_assessment and (state is None or state.closes_step):
        wanted.append(delay_reason())
    return [r for r in wanted if r.id not in collected]


def carried_over(spec: StepSpec, events: list[Event]) -> dict[str, str]:
    """After "decided to notify, not yet done", the next Done asks only the decision and
    what follows from it: the other answers of that assessment are kept."""
    assessed = [a for e in events if isinstance(a := of(e), ApAssessed)]
    if not assessed or assessed[-1].ap_state is not ApState.NOTIFY_LATER:
        return {}
    data = assessed[-1].records
    again = {
        record_for(spec, q)
        for q in (
            BreachQuestion.DECISION,
            BreachQuestion.NOTIFICATION_NUMBER,
            BreachQuestion.NOTIFICATION_TIME,
            BreachQuestion.REASON_NOT_NOTIFIED,
        )
    }
    kept: dict[str, str] = {}
    for record in spec.record:
        value = data.get(record.id)
        if record.id in again or value is None:
            continue
        kept[record.id] = ("yes" if value else "no") if isinstance(value, bool) else str(value)
    return kept


def applicable_values(spec: StepSpec, collected: Mapping[str, str]) -> dict[str, str]:
    """Only the answers that still apply: a changed earlier answer drops later ones."""
    kept = {}
    for record in (*spec.record, delay_reason()):
        if record.id in collected and (record.when is None or record.when.holds(collected)):
            kept[record.id] = collected[record.id]
    return kept


def accept(
    turn: Turn, incident: Incident, spec: StepSpec, record: RecordSpec, raw: str
) -> str | None:
    """The value to keep for a typed answer; None after telling the person what is wrong."""
    text = raw.strip()[:MAX_FIELD]
    if not text:
        return "" if not record.required else None
    too_long = recall.case_number_error(spec, record.id, raw.strip())
    if too_long is not None:
        turn.say(
            Reply(
                kind=ReplyKind.ERROR,
                text=turn.t(too_long, length=len(raw.strip()), limit=recall.MAX_CASE_NUMBER),
            )
        )
        return None
    if record.id == record_for(spec, BreachQuestion.NOTIFICATION_NUMBER) and not any(
        ch.isdigit() for ch in text
    ):
        turn.say(Reply(kind=ReplyKind.ERROR, text=turn.t("ap_number_without_digits", text=text)))
        return None
    if record.type is FactType.TEXT:
        return text
    labels = cards.option_labels(record, turn.lang)
    try:
        value = parse_answer(
            record.type.value, text, lang=turn.lang, now=turn.now, tz=turn.org.tz, options=labels
        ).value
    except AnswerError as exc:
        turn.say(Reply(kind=ReplyKind.ERROR, text=exc.message))
        return None
    if record.id == record_for(spec, BreachQuestion.NOTIFICATION_TIME) and parse_utc(
        value
    ) < incident.reported_at.replace(second=0, microsecond=0):
        reported = clock_time(incident.reported_at, tz=turn.org.tz, now=turn.now, lang=turn.lang)
        turn.say(
            Reply(kind=ReplyKind.ERROR, text=turn.t("ap_time_before_incident", reported=reported))
        )
        return None
    return value


def ask(
    turn: Turn,
    incident: Incident,
    spec: StepSpec,
    step: Step,
    record: RecordSpec,
    collected: Mapping[str, str],
) -> None:
    turn.expect(AwaitingRecord(incident.id, spec.id, record.id, dict(collected), step.version))
    label = record.label.get(turn.lang)
    text = turn.t("ask_record", label=label)
    submit = StepDone(incident.id, spec.id, step.version)
    if not record.required:
        text += " " + turn.t("record_optional")
    if record.type in (FactType.CHOICE, FactType.YES_NO):
        buttons = tuple(
            Button(
                option_label,
                RecordOption(incident.id, spec.id, record.id, option_id, step.version),
            )
            for option_id, option_label in cards.option_labels(record, turn.lang)
        )
        turn.say(
            Reply(kind=ReplyKind.QUESTION, text=label, buttons=buttons, incident_id=incident.id)
        )
        return
    turn.say(
        Reply(
            kind=ReplyKind.QUESTION,
            text=text,
            incident_id=incident.id,
            buttons=not_yet_button(turn, incident, spec, step, record),
            inputs=(InputRequest(record.id, label, submit, required=record.required),),
        )
    )


def not_yet_button(
    turn: Turn, incident: Incident, spec: StepSpec, step: Step, record: RecordSpec
) -> tuple[Button, ...]:
    """Where the AP's number or time is asked, "not notified yet" is one tap away."""
    decision = record_for(spec, BreachQuestion.DECISION)
    asks = {
        record_for(spec, BreachQuestion.NOTIFICATION_NUMBER),
        record_for(spec, BreachQuestion.NOTIFICATION_TIME),
    }
    if decision is None or record.id not in asks:
        return ()
    action = RecordOption(incident.id, spec.id, decision, ApState.NOTIFY_LATER.value, step.version)
    return (Button(turn.t("btn_ap_not_yet"), action),)


def assessment(spec: StepSpec, values: Mapping[str, str], *, late: bool) -> ApAssessed:
    """The breach-register entry: the decision's state as such, yes/no answers as booleans,
    absent answers as None."""
    answers: dict[str, str | bool | None] = {}
    for record in (*spec.record, delay_reason()):
        value = values.get(record.id) or None
        answers[record.id] = (value == "yes") if record.type is FactType.YES_NO and value else value
    return ApAssessed(ap_state=state_of(spec, values), late=late, records=answers)
