"""Moving between plans inside one incident: an attempt that turns out paid switches to
the paid plan, a hacked mailbox adds its plan alongside. Which answer moves where is the
playbooks' ``moves``; nothing here names a plan."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot import reminders
from bot.events import PlanAdded, PlannedStep, PlanSwitched
from bot.evidence.describe import answer_text
from bot.flows import facts, steps
from bot.flows.turn import Turn
from bot.playbook import Owner
from bot.playbook.models import Carry, MoveKind, PlanMove
from bot.ports import (
    MANAGERS,
    FactStatus,
    Incident,
    IncidentPlan,
    PlanRole,
    Step,
    StepStatus,
)
from bot.timefmt import clock_time


async def follow_moves(turn: Turn, incident: Incident) -> None:
    """After an answer: make each move of a running plan whose condition the answers now
    make true (and then the moves of the plans it brought in)."""
    while True:
        move, source = await _due_move(turn, incident)
        if move is None:
            return
        await bring_in(
            turn,
            incident,
            move.target,
            kind=move.kind,
            source=source,
            because=move.because.get(incident.lang),
            carry=move.carry,
        )


async def _due_move(turn: Turn, incident: Incident) -> tuple[PlanMove | None, str]:
    known = await turn.tx.get_facts(incident.id)
    answers = {
        fid: (f.value if f.status is FactStatus.ANSWERED else None) for fid, f in known.items()
    }
    had = {p.playbook_id for p in incident.plan_list()}
    for plan in incident.plan_list():
        if not plan.running:
            continue
        for move in turn.playbooks[plan.playbook_id].moves:
            if move.target not in had and move.when.decide(answers) is True:
                return move, plan.playbook_id
    return None, ""


def move_to(turn: Turn, incident: Incident, target: str) -> PlanMove | None:
    """The move a running plan declares to ``target``, if any (its kind and what it
    carries apply when someone says the new situation is about this incident)."""
    for plan in incident.plan_list():
        if plan.running:
            for move in turn.playbooks[plan.playbook_id].moves:
                if move.target == target:
                    return move
    return None


async def bring_in(
    turn: Turn,
    incident: Incident,
    target: str,
    *,
    kind: MoveKind,
    source: str,
    because: str,
    carry: Sequence[Carry] = (),
) -> None:
    """Switch ``source`` to ``target`` or add ``target`` to the incident: same number and
    timeline; the new plan's steps are appended, their deadlines counted from now; on a
    switch the old plan's open steps the new one does not have are closed. Recorded as one
    event, told to everyone in the incident, and the new plan's urgent step shown first."""
    playbook = turn.playbooks[target]
    incident.plans = _with_plan(incident, target, kind=kind, source=source, since=turn.now)
    if kind is MoveKind.SWITCH and source == incident.playbook_id:
        incident.playbook_id = target
    await turn.tx.update_incident(incident)
    existing = await turn.tx.get_steps(incident.id)
    closed = (
        await _close_left_behind(turn, incident, existing, source, target)
        if (kind is MoveKind.SWITCH)
        else []
    )
    have = {s.step_id for s in existing}
    start = max((s.position for s in existing), default=-1) + 1
    planned = [
        Step(
            incident_id=incident.id,
            step_id=spec.id,
            position=start + offset,
            status=StepStatus.OPEN,
            due_at=turn.now + spec.due,
            owner={
                Owner.REPORTER: incident.reported_by,
                Owner.LEAD: incident.lead,
                Owner.MANAGER: MANAGERS,
            }[spec.owner],
            plan=target,
        )
        for offset, spec in enumerate(s for s in playbook.steps if s.id not in have)
    ]
    await turn.tx.add_steps(planned)
    for step in planned:
        await reminders.schedule_step(turn, incident, step)
    await turn.record(
        incident.id,
        (PlanSwitched if kind is MoveKind.SWITCH else PlanAdded)(
            source=source,
            plan=target,
            playbook_version=playbook.version,
            title=playbook.title.get(incident.lang),
            because=because,
            closed_steps=tuple(closed),
            steps=tuple(PlannedStep.of(s) for s in planned),
        ),
    )
    await _carry(turn, incident, target, carry)
    await steps.apply_conditions(turn, incident)  # the new steps' conditions on known facts
    title = playbook.title.get(turn.lang)
    key = "plan_switched" if kind is MoveKind.SWITCH else "plan_added"
    await turn.tell(
        incident,
        f"tell_{key}",
        everyone=True,
        title=playbook.title.get(incident.lang),
        because=because,
    )
    turn.say_text(
        key,
        incident_id=incident.id,
        title=title,
        because=because,
        count=len(planned),
        time=clock_time(turn.now, tz=turn.org.tz, now=turn.now, lang=turn.lang),
    )
    for step in planned:
        if playbook.step(step.step_id).urgent:
            await steps.show_card(turn, incident, step)


def _with_plan(
    incident: Incident, target: str, *, kind: MoveKind, source: str, since: datetime
) -> tuple[IncidentPlan, ...]:
    """The incident's plans with ``target`` in: on a switch it takes the source's role
    (main stays main) and the source is kept as switched away from."""
    plans = list(incident.plan_list())
    role = PlanRole.ADDED
    if kind is MoveKind.SWITCH:
        for index, plan in enumerate(plans):
            if plan.playbook_id == source:
                role = plan.role
                plans[index] = IncidentPlan(source, PlanRole.SWITCHED_FROM, since)
    return (*plans, IncidentPlan(target, role, since))


async def _carry(turn: Turn, incident: Incident, target: str, carry: Sequence[Carry]) -> None:
    """Answers the other plan asks under another id or with other answers, recorded as
    answered with where they came from; a fact with the same id needs nothing: the
    incident keeps one answer per id."""
    known = await turn.tx.get_facts(incident.id)
    spec_of = turn.playbooks[target].fact
    for item in carry:
        fact, there = known.get(item.from_), known.get(item.to)
        if fact is None or fact.status is not FactStatus.ANSWERED or fact.value is None:
            continue
        if there is not None and there.status is FactStatus.ANSWERED:
            continue  # already answered for the other plan: that answer stands
        value = item.values.get(fact.value) if item.values else fact.value
        if value is None:
            continue
        display = answer_text(spec_of(item.to), value, value, lang=turn.lang, tz=turn.org.tz)
        await facts.save_answer(turn, incident, item.to, value, display, carried_from=item.from_)


async def _close_left_behind(
    turn: Turn, incident: Incident, existing: Sequence[Step], source: str, target: str
) -> list[str]:
    """The switched-away plan's open steps that the new plan does not have: closed as no
    longer applicable (done ones are kept as they are)."""
    theirs = {spec.id for spec in turn.playbooks[target].steps}
    closed = []
    for step in existing:
        if step.plan != source or step.step_id in theirs or step.status.is_closed:
            continue
        expected = step.version
        step.status, step.version = StepStatus.NOT_APPLICABLE, expected + 1
        if await turn.tx.update_step(step, expected_version=expected):
            await turn.tx.cancel_deadlines(incident_id=incident.id, step_id=step.step_id)
            closed.append(step.step_id)
    return closed
