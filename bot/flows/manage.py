"""The levers of whoever steers an incident: assign steps, lead, snooze, close, reopen.

Managers (from the organisation config) may do all of it in any incident of their
organisation; the incident lead may assign and hand over; everyone may snooze only the
reminders addressed to them. Every change is an event, so the evidence file shows it.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from bot import cards, reminders
from bot.events import (
    IncidentClosed,
    IncidentReopened,
    LeadChanged,
    ReminderSnoozed,
    StepAssigned,
)
from bot.flows import followups, people, recall, steps
from bot.flows.state import (
    AwaitingAssignee,
    AwaitingCloseReason,
    AwaitingSnooze,
    ConfirmingClose,
    Idle,
    SnoozeAsks,
)
from bot.flows.turn import ForOther, Turn
from bot.messages import (
    AssignStep,
    Button,
    ButtonStyle,
    Close,
    HandOverLead,
    InputKind,
    InputRequest,
    KeepGoing,
    Outbound,
    Reopen,
    Reply,
    ReplyKind,
    Snooze,
    address_from_json,
)
from bot.ports import LEAD, MANAGERS, Incident, IncidentStatus, Step
from bot.timefmt import clock_time

SNOOZE_MINUTES = (15, 60)  # what the reminder buttons offer; the first is the fallback
_CLOCK = re.compile(r"^(?:tot\s+|until\s+)?(\d{1,2})[:.](\d{2})$", re.I)


def _require_steering(turn: Turn, incident: Incident) -> None:
    if not (turn.is_manager or incident.lead == turn.actor):
        raise turn.fail("only_lead_or_manager")


# Assigning a step, or the lead ---------------------------------------------------------


async def ask_assignee(turn: Turn, incident_id: str | None, target: str) -> None:
    """``target`` is a step id, or "lead" to hand over the incident lead."""
    incident = await turn.lock_incident(incident_id)
    _require_steering(turn, incident)
    if target != "lead" and await steps.open_step(turn, incident, target) is None:
        return
    turn.expect(AwaitingAssignee(incident.id, None if target == "lead" else target))
    turn.say(
        Reply(
            kind=ReplyKind.QUESTION,
            incident_id=incident.id,
            text=turn.t("ask_assignee"),
            inputs=(
                InputRequest(
                    "person",
                    turn.t("person"),
                    AssignStep(incident.id, target)
                    if target != "lead"
                    else HandOverLead(incident.id),
                    kind=InputKind.PERSON,
                ),
            ),
        )
    )


async def assign(turn: Turn, incident_id: str | None, target: str | None, named: str) -> None:
    incident = await turn.lock_incident(incident_id)
    _require_steering(turn, incident)
    person = await people.resolve(turn, incident, named)
    if person is None:
        turn.expect(AwaitingAssignee(incident.id, None if target == "lead" else target))
        raise turn.fail("unknown_person", name=named.strip(), incident_id=incident.id)
    key, name = person
    await people.join_assignee(turn, incident, key, name)
    if target == "lead":
        await set_lead(turn, incident, key, name)
        return
    step = await steps.open_step(turn, incident, target)
    if step is None:
        return
    previous = step.owner
    expected = step.version
    step.owner, step.version = key, expected + 1
    if not await turn.tx.update_step(step, expected_version=expected):
        await steps.open_step(turn, incident, step.step_id)
        return
    # The reminders follow the step: the old owner's stop, the new owner's start.
    await turn.tx.cancel_deadlines(
        incident_id=incident.id, step_id=step.step_id, recipient=previous
    )
    await reminders.schedule_step(turn, incident, step, owner_only=True)
    await turn.record(
        incident.id, StepAssigned(step=step.step_id, previous=previous, to=key, to_name=name)
    )
    turn.expect(Idle())
    title = turn.playbook_of(incident).step(step.step_id).title.get(turn.lang)
    turn.say_text("step_assigned", title=title, name=name)
    await _send_card(turn, incident, step, key, name)


async def _send_card(turn: Turn, incident: Incident, step: Step, key: str, name: str) -> None:
    """The new owner gets the step card in their own chat, or in the incident's chat."""
    stored = await turn.tx.get_address(key)
    address = address_from_json(stored or incident.conversation)
    playbook = turn.playbook_of(incident)
    lang = incident.lang
    intro = Reply(
        kind=ReplyKind.TEXT,
        incident_id=incident.id,
        text=turn.t(
            "you_were_assigned" if stored else "assigned_to_named",
            name=name,
            by=turn.actor_name,
            incident_id=incident.id,
            title=playbook.step(step.step_id).title.get(lang),
        ),
    )
    card = await steps.card_for(turn, incident, step, owner_name=name)
    message = Outbound(address, (intro, card))
    turn.outbound.append(
        ForOther(incident.id, key, name, direct=stored is not None, message=message)
    )


async def take_lead(turn: Turn, incident_id: str | None) -> None:
    incident = await turn.lock_incident(incident_id)
    await turn.ensure_participant(incident)
    await set_lead(turn, incident, turn.actor, turn.actor_name)


async def set_lead(turn: Turn, incident: Incident, key: str, name: str) -> None:
    if incident.lead == key:
        turn.say_text("already_lead", name=name)
        return
    previous, incident.lead = incident.lead, key
    await turn.tx.update_incident(incident)
    await turn.record(incident.id, LeadChanged(previous=previous, to=key, to_name=name))
    turn.expect(Idle())
    turn.say_text("lead_changed", name=name, incident_id=incident.id)


# Snoozing reminders ----------------------------------------------------------------------


async def snooze(turn: Turn, action: Snooze, form: dict[str, str]) -> None:
    """Postpone one's own reminders of a step, with a reason; never the deadline itself."""
    incident = await turn.lock_incident(action.incident_id)
    await turn.ensure_participant(incident)
    step = await steps.open_step(turn, incident, action.step_id)
    if step is None:
        return
    recipients = _own_reminders(turn, incident, step)
    if not recipients:
        raise turn.fail("snooze_not_yours")
    minutes = action.minutes
    if minutes is not None and minutes not in SNOOZE_MINUTES:
        minutes = SNOOZE_MINUTES[0]  # a button this version does not offer
    typed = form.get("until") or ""
    saved = turn.pending.until if isinstance(turn.pending, AwaitingSnooze) else None
    if minutes is not None:
        until: datetime | None = turn.now + timedelta(minutes=minutes)
    elif typed:
        until = _clock_time(turn, typed)
    else:  # the time given before the reason was asked; gone by now, it is asked again
        until = saved if saved is not None and saved > turn.now else None
    reason = (form.get("reason") or "").strip()[:500]
    if until is None or not reason:
        _ask_snooze(turn, incident, step, minutes, until, typed_until=bool(typed or saved))
        return
    moved = await turn.tx.snooze_deadlines(
        incident_id=incident.id, step_id=step.step_id, recipients=recipients, until=until
    )
    turn.wake_times.append(until)
    await turn.record(
        incident.id,
        ReminderSnoozed(
            step=step.step_id,
            until=until,
            reason=reason,
            recipients=tuple(recipients),
            reminders=moved,
        ),
    )
    turn.expect(Idle())
    tz, lang = turn.org.tz, turn.lang
    turn.say_text(
        "snoozed",
        until=clock_time(until, tz=tz, now=turn.now, lang=lang),
        due=clock_time(step.due_at, tz=tz, now=turn.now, lang=lang),
        reason=reason,
    )


def _own_reminders(turn: Turn, incident: Incident, step: Step) -> list[str]:
    if turn.is_manager:
        return sorted({step.owner, LEAD, MANAGERS})
    mine = [step.owner] if step.owner == turn.actor else []
    if incident.lead == turn.actor:
        mine.append(LEAD)
    return mine


def _ask_snooze(
    turn: Turn,
    incident: Incident,
    step: Step,
    minutes: int | None,
    until: datetime | None,
    *,
    typed_until: bool,
) -> None:
    submit = Snooze(incident.id, step.step_id, minutes, step.version)
    if until is None:
        if typed_until:
            turn.say_text("snooze_until_invalid", kind=ReplyKind.ERROR)
        turn.expect(AwaitingSnooze(incident.id, step.step_id, SnoozeAsks.UNTIL, minutes))
        turn.say(
            Reply(
                kind=ReplyKind.QUESTION,
                text=turn.t("ask_snooze_until"),
                incident_id=incident.id,
                inputs=(InputRequest("until", turn.t("ask_snooze_until"), submit),),
            )
        )
        return
    saved = None if minutes is not None else until
    turn.expect(AwaitingSnooze(incident.id, step.step_id, SnoozeAsks.REASON, minutes, saved))
    turn.say(
        Reply(
            kind=ReplyKind.QUESTION,
            text=turn.t("ask_snooze_reason"),
            incident_id=incident.id,
            inputs=(InputRequest("reason", turn.t("ask_snooze_reason"), submit),),
        )
    )


def _clock_time(turn: Turn, text: str) -> datetime | None:
    """ "14:30" as the next such moment, in the org's zone."""
    match = _CLOCK.match(text.strip())
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        return None
    local = turn.now.astimezone(turn.org.tz)
    when = local.replace(hour=int(match[1]), minute=int(match[2]), second=0, microsecond=0)
    if when <= local:
        when += timedelta(days=1)
    return when


# Closing and reopening -------------------------------------------------------------------


async def close(
    turn: Turn, incident_id: str | None, reason: str | None, *, confirmed: bool = False
) -> None:
    """Close after a confirmation and with a reason, like stop. Anyone in the incident
    may once every step is closed; with steps still open only a manager may. Everyone in
    the incident is told; the plans' follow-ups are proposed (``flows/followups.py``)."""
    incident = await turn.lock_incident(incident_id)
    await turn.ensure_participant(incident)
    still_open = [s.step_id for s in await turn.tx.get_steps(incident.id) if not s.status.is_closed]
    reason = (reason or "").strip()[:500]
    if still_open and not turn.is_manager:
        raise turn.fail("close_needs_manager", count=len(still_open))
    if not confirmed:
        _ask_close(turn, incident)
        return
    if not reason:
        turn.expect(AwaitingCloseReason(incident.id))
        submit = Close(incident.id, confirmed=True)
        question = (
            turn.t("ask_close_reason", count=len(still_open))
            if still_open
            else turn.t("ask_close_reason_done")
        )
        turn.say(
            Reply(
                kind=ReplyKind.QUESTION,
                incident_id=incident.id,
                text=question,
                inputs=(InputRequest("reason", turn.t("reason"), submit),),
            )
        )
        return
    incident.status, incident.closed_at = IncidentStatus.CLOSED, turn.now
    incident.close_reason = reason
    await turn.tx.update_incident(incident)
    await turn.tx.cancel_deadlines(incident_id=incident.id)
    await turn.record(
        incident.id,
        IncidentClosed(forced=bool(still_open), reason=reason, open_steps=tuple(still_open)),
    )
    # After the close: what the plans propose so it does not happen again, reminded
    # though the incident is closed (the one exception to the cancel above).
    open_follow_ups = await followups.propose(turn, incident)
    await turn.tell(incident, "tell_closed", everyone=True, reason=reason)
    turn.expect(Idle())
    closed = turn.t("closed", incident_id=incident.id)
    if open_follow_ups:
        closed += "\n" + turn.t("follow_ups_proposed", count=len(open_follow_ups))
    turn.say(
        Reply(
            kind=ReplyKind.TEXT,
            incident_id=incident.id,
            text=closed,
            buttons=(
                Button(turn.t("btn_reopen"), Reopen(incident.id)),
                cards.export_button(incident.id, turn.lang),
            ),
        )
    )
    for card in followups.cards_for(turn, incident, open_follow_ups):
        turn.say(card)
    await followups.send_to_owner(turn, incident, open_follow_ups)


def _ask_close(turn: Turn, incident: Incident) -> None:
    turn.expect(ConfirmingClose(incident.id))
    turn.say(
        Reply(
            kind=ReplyKind.QUESTION,
            incident_id=incident.id,
            text=turn.t("confirm_close", incident_id=incident.id),
            buttons=(
                Button(
                    turn.t("yes_close"),
                    Close(incident.id, confirmed=True),
                    ButtonStyle.DANGER,
                ),
                Button(turn.t("no_stop"), KeepGoing(incident.id)),
            ),
        )
    )


async def reopen(turn: Turn, incident_id: str | None) -> None:
    incident = await turn.readable_incident(incident_id, lock=True)
    if incident.status is IncidentStatus.OPEN:
        turn.say_text("already_open", incident_id=incident.id)
        return
    incident.status, incident.closed_at, incident.close_reason = IncidentStatus.OPEN, None, None
    await turn.tx.update_incident(incident)
    for step in await turn.tx.get_steps(incident.id):
        if not step.status.is_closed:
            await reminders.schedule_step(turn, incident, step, from_now=True)
    await recall.resume_check_ins(turn, incident)  # closing cancelled them with the rest
    await turn.record(incident.id, IncidentReopened())
    await turn.tell(incident, "tell_reopened", everyone=True)
    turn.say_text("reopened", incident_id=incident.id)
    await steps.show_checklist(turn, incident)
