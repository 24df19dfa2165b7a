"""What a step records when it is done: a case number, or a guided assessment.

A step's records are asked one at a time. A record can be typed (a choice offered as
buttons, a date checked like a fact) and can depend on an earlier answer of the same step,
which turns the AP step into the 72-hour data-breach assessment.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot import cards
from bot.answers import AnswerError, parse_answer
from bot.flows.turn import Mode, Turn
from bot.messages import Action, ActionName, Button, InputRequest, Reply, ReplyKind
from bot.playbook import FactType, LocalText, RecordSpec, StepSpec
from bot.ports import Incident, Step

MAX_FIELD = 500  # case numbers and reasons: long enough for any, short enough for a PDF line

DELAY_REASON = RecordSpec(
    id="delay_reason",
    type=FactType.TEXT,
    label=LocalText(
        nl="Dit is later dan de deadline. Wat is de reden van de vertraging? "
        "(Dit komt in het dossier.)",
        en="This is later than the deadline. What is the reason for the delay? "
        "(This goes into the file.)",
    ),
)


def pending(
    spec: StepSpec, step: Step, collected: Mapping[str, str], *, late: bool
) -> list[RecordSpec]:
    """The records still to ask, in order, given the answers so far."""
    wanted = [r for r in spec.record if r.when is None or r.when.holds(collected)]
    if late and spec.breach_assessment:
        wanted.append(DELAY_REASON)
    return [r for r in wanted if r.id not in collected]


def applicable_values(spec: StepSpec, collected: Mapping[str, str]) -> dict[str, str]:
    """Only the answers that still apply: a changed earlier answer drops later ones."""
    kept = {}
    for record in (*spec.record, DELAY_REASON):
        if record.id in collected and (record.when is None or record.when.holds(collected)):
            kept[record.id] = collected[record.id]
    return kept


def accept(turn: Turn, record: RecordSpec, raw: str) -> str | None:
    """The value to keep for a typed answer; None after telling the person what is wrong."""
    text = raw.strip()[:MAX_FIELD]
    if not text:
        return "" if not record.required else None
    if record.type is FactType.TEXT:
        return text
    labels = cards.option_labels(record, turn.lang)
    try:
        return parse_answer(
            record.type.value, text, lang=turn.lang, now=turn.now, tz=turn.org.tz, options=labels
        ).value
    except AnswerError as exc:
        turn.say(Reply(kind=ReplyKind.ERROR, text=exc.message))
        return None


def ask(
    turn: Turn,
    incident: Incident,
    spec: StepSpec,
    step: Step,
    record: RecordSpec,
    collected: Mapping[str, str],
) -> None:
    turn.set_mode(
        Mode.RECORD,
        incident_id=incident.id,
        step_id=spec.id,
        field=record.id,
        records=dict(collected),
        stamp=step.version,
    )
    label = record.label.get(turn.lang)
    text = turn.t("ask_record", label=label)
    submit = Action(ActionName.STEP_DONE, incident.id, spec.id, stamp=step.version)
    if not record.required:
        text += " " + turn.t("record_optional")
    if record.type in (FactType.CHOICE, FactType.YES_NO):
        buttons = tuple(
            Button(
                option_label,
                Action(
                    ActionName.STEP_DONE,
                    incident.id,
                    spec.id,
                    value=f"{record.id}={option_id}",
                    stamp=step.version,
                ),
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
            inputs=(InputRequest(record.id, label, submit, required=record.required),),
        )
    )


def assessment_data(spec: StepSpec, values: Mapping[str, str], *, late: bool) -> dict[str, object]:
    """The breach-register entry: yes/no answers as booleans, absent answers as None."""
    data: dict[str, object] = {"late": late}
    for record in (*spec.record, DELAY_REASON):
        value = values.get(record.id) or None
        data[record.id] = (value == "yes") if record.type is FactType.YES_NO and value else value
    return data
