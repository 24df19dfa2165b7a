"""Working through the steps: Done (with what it records), not possible now, skip, help."""

from __future__ import annotations

from datetime import timedelta

from bot import cards, events, handoff, reminders
from bot.flows import facts, recall, records
from bot.flows.state import AwaitingReason, AwaitingRecord, Idle
from bot.flows.turn import Turn
from bot.messages import (
    InputRequest,
    RecordOption,
    Reply,
    ReplyKind,
    StepBlocked,
    StepDone,
    StepHelp,
    StepSkip,
)
from bot.playbook import ApState, StepSpec
from bot.ports import FactStatus, Incident, Step, StepStatus
from bot.timefmt import clock_time, duration


async def show_next(turn: Turn, incident: Incident) -> None:
    """The card of the most urgent step this person can act on now."""
    playbook = turn.playbook_of(incident)
    all_steps = await turn.tx.get_steps(incident.id)
    closed = {s.step_id for s in all_steps if s.status.is_closed}
    ready = [
        s
        for s in all_steps
        if s.status is StepStatus.OPEN
        and all(dep in closed for dep in playbook.step(s.step_id).after)
    ]
    candidates = ready or [s for s in all_steps if s.status is StepStatus.BLOCKED]
    if candidates:
        await show_card(turn, incident, min(candidates, key=lambda s: (s.due_at, s.position)))
        return
    if len(closed) == len(all_steps):
        lines = [turn.t("all_steps_closed")]
        if playbook.further_reporting:
            lines.append(
                turn.t("further_reporting")
                + ":\n"
                + cards.contact_lines(
                    playbook.further_reporting, playbook=playbook, org=turn.org, lang=turn.lang
                )
            )
        if playbook.closing is not None:
            lines.append(playbook.closing.get(turn.lang))
        lines.append(turn.t("all_done_export"))
        turn.say(
            Reply(
                kind=ReplyKind.TEXT,
                text="\n\n".join(lines),
                incident_id=incident.id,
                buttons=(cards.export_button(incident.id, turn.lang),),
            )
        )


async def show_step(turn: Turn, incident_id: str | None, step_id: str | None) -> None:
    incident = await turn.lock_incident(incident_id)
    await turn.ensure_participant(incident)
    step = await open_step(turn, incident, step_id)
    if step is not None:
        await show_card(turn, incident, step)


async def show_card(turn: Turn, incident: Incident, step: Step) -> None:
    owner_name = await _person_name(turn, incident, step.owner)
    turn.say(await card_for(turn, incident, step, owner_name=owner_name))


async def card_for(turn: Turn, incident: Incident, step: Step, *, owner_name: str) -> Reply:
    playbook = turn.playbook_of(incident)
    spec = playbook.step(step.step_id)
    return cards.step_card(
        spec,
        step,
        incident=incident,
        playbook=playbook,
        facts=await turn.tx.get_facts(incident.id),
        org=turn.org,
        now=turn.now,
        lang=turn.lang,
        owner_name=owner_name,
        handoffs=[h for h in await turn.tx.get_handoffs(incident.id) if h.step_id == step.step_id],
        can_hand_off=spec.handoff is not None
        and bool(handoff.routes(spec.handoff, turn.org, turn.handoffs)),
    )


async def _person_name(turn: Turn, incident: Incident, user_key: str) -> str:
    if user_key.startswith("role:"):
        return ", ".join(m.name for m in turn.org.managers) or incident.reporter_name
    participants = await turn.tx.get_participants(incident.id)
    return next((p.name for p in participants if p.user_key == user_key), user_key)


async def show_checklist(turn: Turn, incident: Incident) -> None:
    turn.say(
        cards.checklist(
            incident=incident,
            playbook=turn.playbook_of(incident),
            steps=await turn.tx.get_steps(incident.id),
            facts=await turn.tx.get_facts(incident.id),
            org=turn.org,
            now=turn.now,
            lang=turn.lang,
            plan_titles={
                p.playbook_id: turn.playbooks[p.playbook_id].title.get(turn.lang)
                for p in incident.plan_list()
            },
            asked={f.id for f in turn.running_plan(incident).facts},
        )
    )


async def open_step(turn: Turn, incident: Incident, step_id: str | None) -> Step | None:
    """The step if it can still be acted on; otherwise says plainly why not."""
    playbook = turn.playbook_of(incident)
    step = await turn.tx.get_step(incident.id, step_id) if step_id else None
    if step is None:
        raise turn.fail("stale_button")
    if step.status.is_closed:
        status = turn.t(f"status_{step.status.value}")
        who = step.done_by_name or "Noodrem"
        when = clock_time(step.done_at or turn.now, tz=turn.org.tz, now=turn.now, lang=turn.lang)
        turn.say(
            Reply(
                kind=ReplyKind.ERROR,
                incident_id=incident.id,
                text=turn.t(
                    "already_closed",
                    title=playbook.step(step.step_id).title.get(turn.lang),
                    status=status,
                    who=who,
                    time=when,
                ),
            )
        )
        return None
    return step


async def done(turn: Turn, action: StepDone | RecordOption, form: dict[str, str]) -> None:
    """Mark a step done once everything it records is known; asks for what is missing."""
    incident = await turn.lock_incident(action.incident_id)
    await turn.ensure_participant(incident)
    step = await open_step(turn, incident, action.step_id)
    if step is None:
        return
    spec = turn.playbook_of(incident).step(step.step_id)
    late = turn.now > step.due_at
    collected: dict[str, str] = {}
    pending = turn.pending
    if isinstance(pending, AwaitingRecord) and pending.step_id == spec.id:
        collected.update(pending.records)
    elif spec.breach_assessment:  # after "not notified yet": only the decision again
        collected.update(records.carried_over(spec, await turn.tx.get_events(incident.id)))
    answers = dict(form)
    if isinstance(action, RecordOption):
        answers[action.record_id] = action.option
    if records.not_yet_answers(spec, answers):
        turn.say_text("ap_not_yet_understood")
    for record in (*spec.record, records.delay_reason()):
        if record.id in answers:
            value = records.accept(turn, incident, spec, record, answers[record.id])
            if value is not None:
                collected[record.id] = value
    missing = records.pending(spec, step, collected, late=late)
    if missing:
        records.ask(turn, incident, spec, step, missing[0], collected)
        return
    values = records.applicable_values(spec, collected)
    state = records.state_of(spec, values)
    if state is ApState.NOTIFY_LATER:
        await _decided_to_notify(turn, incident, spec, step, values)
        return
    await _complete(turn, incident, spec, step, values)
    if state is ApState.PROVISIONAL:
        turn.say_text("ap_provisional_done")


async def _decided_to_notify(
    turn: Turn, incident: Incident, spec: StepSpec, step: Step, values: dict[str, str]
) -> None:
    """ "Yes, not notified yet": recorded as that state; the step stays open, so its
    deadline and the reminders before it (the playbook's remind_before) keep running."""
    late = turn.now > step.due_at
    await turn.record(incident.id, records.assessment(spec, values, late=late))
    turn.expect(Idle())
    leads = [lead for lead in spec.remind_before if step.due_at - lead > turn.now]
    reminders_text = turn.t("ap_notify_later_reminders", leads=_leads(turn, leads)) if leads else ""
    turn.say_text(
        "ap_notify_later",
        deadline=clock_time(step.due_at, tz=turn.org.tz, now=turn.now, lang=turn.lang),
        reminders=reminders_text,
    )
    await show_checklist(turn, incident)
    await facts.resume(turn, incident)


async def _complete(
    turn: Turn, incident: Incident, spec: StepSpec, step: Step, values: dict[str, str]
) -> None:
    expected = step.version
    step.status, step.done_at, step.done_by = StepStatus.DONE, turn.now, turn.actor
    step.done_by_name = turn.actor_name
    step.records = {k: v for k, v in values.items() if v}
    step.version = expected + 1
    if not await turn.tx.update_step(step, expected_version=expected):
        await open_step(turn, incident, step.step_id)
        return
    await turn.tx.cancel_deadlines(incident_id=incident.id, step_id=step.step_id)
    late = turn.now - step.due_at
    on_time = late.total_seconds() <= 0
    await turn.record(
        incident.id,
        events.StepDone(
            step=step.step_id,
            records=dict(step.records),
            due_at=step.due_at,
            on_time=on_time,
            late_seconds=max(0, round(late.total_seconds())),
        ),
    )
    if spec.breach_assessment:
        await turn.record(incident.id, records.assessment(spec, values, late=not on_time))
    await turn.tell(incident, "tell_step_done", everyone=False, title=spec.title.get(incident.lang))
    timing = turn.t("on_time") if on_time else turn.t("late_by", late=duration(late, turn.lang))
    turn.expect(Idle())
    playbook = turn.playbook_of(incident)
    turn.say(
        Reply(
            kind=ReplyKind.TEXT,
            text=turn.t(
                "step_done",
                time=clock_time(turn.now, tz=turn.org.tz, now=turn.now, lang=turn.lang),
                title=spec.title.get(turn.lang),
                timing=timing,
            ),
            # Its texts stay one tap away, now with what the step recorded (a case number).
            buttons=tuple(
                cards.text_button(
                    incident.id, text_id, playbook.texts[text_id].title.get(turn.lang)
                )
                for text_id in spec.texts
            ),
        )
    )
    await recall.ask_status(turn, incident, spec, step)
    await show_checklist(turn, incident)
    await facts.resume(turn, incident)


def _leads(turn: Turn, leads: list[timedelta]) -> str:
    """ "48, 24 en 4 uur" for whole hours; the usual durations otherwise."""
    hour = timedelta(hours=1)
    if all(lead % hour == timedelta(0) for lead in leads):
        words = [str(lead // hour) for lead in leads]
    else:
        words = [duration(lead, turn.lang) for lead in leads]
    joined = words[-1] if len(words) == 1 else ", ".join(words[:-1]) + turn.t("and") + words[-1]
    return turn.t("hours", hours=joined) if words[0].isdigit() else joined


async def set_aside(turn: Turn, action: StepBlocked | StepSkip, reason: str | None) -> None:
    """ "Not possible right now" (still open, deadline runs) or "skip" (closed); both need
    a reason, because the evidence file must explain every step that was not done."""
    skipping = isinstance(action, StepSkip)
    incident = await turn.lock_incident(action.incident_id)
    await turn.ensure_participant(incident)
    step = await open_step(turn, incident, action.step_id)
    if step is None:
        return
    spec = turn.playbook_of(incident).step(step.step_id)
    reason = (reason or "").strip()[: records.MAX_FIELD]
    if not reason:
        key = "ask_reason_skip" if skipping else "ask_reason_blocked"
        pending = turn.pending
        if isinstance(pending, AwaitingReason) and pending.step_id == spec.id:
            turn.say_text("reason_required", kind=ReplyKind.ERROR)
        turn.expect(AwaitingReason(incident.id, spec.id, skip=skipping, stamp=step.version))
        turn.say(
            Reply(
                kind=ReplyKind.QUESTION,
                text=turn.t(key),
                incident_id=incident.id,
                inputs=(InputRequest("reason", turn.t(key), action),),
            )
        )
        return
    expected = step.version
    step.status = StepStatus.SKIPPED if skipping else StepStatus.BLOCKED
    step.reason, step.version = reason, expected + 1
    if skipping:
        step.done_at, step.done_by, step.done_by_name = turn.now, turn.actor, turn.actor_name
    if not await turn.tx.update_step(step, expected_version=expected):
        await open_step(turn, incident, step.step_id)
        return
    if skipping:
        await turn.tx.cancel_deadlines(incident_id=incident.id, step_id=step.step_id)
    await turn.record(
        incident.id,
        (events.StepSkipped if skipping else events.StepBlocked)(step=step.step_id, reason=reason),
    )
    await turn.tell(
        incident,
        "tell_step_skipped" if skipping else "tell_step_blocked",
        everyone=False,
        title=spec.title.get(incident.lang),
        reason=reason,
    )
    turn.expect(Idle())
    turn.say_text(
        "step_skipped" if skipping else "step_blocked",
        title=spec.title.get(turn.lang),
        reason=reason,
    )
    await show_checklist(turn, incident)
    await facts.resume(turn, incident)


async def help_for(turn: Turn, action: StepHelp) -> None:
    incident = await turn.lock_incident(action.incident_id)
    playbook = turn.playbook_of(incident)
    try:
        spec = playbook.step(action.step_id)
    except KeyError:
        raise turn.fail("stale_button") from None
    parts = [(spec.help or spec.do).get(turn.lang)]
    if spec.contacts:
        parts.append(
            cards.contact_lines(spec.contacts, playbook=playbook, org=turn.org, lang=turn.lang)
        )
    turn.say(
        Reply(
            kind=ReplyKind.TEXT,
            title=spec.title.get(turn.lang),
            text="\n\n".join(parts),
            incident_id=incident.id,
        )
    )


async def apply_conditions(turn: Turn, incident: Incident) -> None:
    """Steps whose condition on the facts changed become (not) applicable."""
    playbook = turn.playbook_of(incident)
    known = await turn.tx.get_facts(incident.id)
    answers = {
        fid: (f.value if f.status is FactStatus.ANSWERED else None) for fid, f in known.items()
    }
    for step in await turn.tx.get_steps(incident.id):
        condition = playbook.step(step.step_id).when
        if condition is None:
            continue
        applies = condition.holds(answers)
        expected = step.version
        if not applies and step.status in (StepStatus.OPEN, StepStatus.BLOCKED):
            step.status, step.version = StepStatus.NOT_APPLICABLE, expected + 1
            await turn.tx.update_step(step, expected_version=expected)
            await turn.tx.cancel_deadlines(incident_id=incident.id, step_id=step.step_id)
            await turn.record(incident.id, events.StepNotApplicable(step=step.step_id))
        elif applies and step.status is StepStatus.NOT_APPLICABLE:
            step.status, step.version = StepStatus.OPEN, expected + 1
            await turn.tx.update_step(step, expected_version=expected)
            await reminders.schedule_step(turn, incident, step)
            await turn.record(incident.id, events.StepApplicable(step=step.step_id))
