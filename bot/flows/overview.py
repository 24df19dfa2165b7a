"""Open incidents at a glance: what a manager (or a participant) needs to steer."""

from __future__ import annotations

from bot.evidence.describe import Describer
from bot.flows.turn import Turn
from bot.messages import Action, ActionName, Button, Reply, ReplyKind
from bot.ports import Incident, Step, StepStatus
from bot.timefmt import clock_time, duration

PAGE_SIZE = 10  # keeps one page inside Slack's 50-block message and Teams' card limits


async def list_incidents(turn: Turn, *, page: int = 0) -> None:
    """Managers see every open incident of their organisation; others the ones they are in."""
    inbound = turn.inbound
    if turn.org.manager_for(inbound.channel, inbound.user_id, inbound.user_name):
        incidents = await turn.tx.open_incidents(tenant_id=inbound.tenant_id)
    else:
        incidents = await turn.tx.open_incidents_for(
            tenant_id=inbound.tenant_id, user_key=turn.actor
        )
    if not incidents:
        turn.say_text("list_empty")
        return
    pages = (len(incidents) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(page, 0), pages - 1)
    shown = incidents[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    lines, buttons = [], []
    for incident in shown:
        lines.append(await _line(turn, incident))
        buttons.append(
            Button(incident.id, Action(ActionName.PICK_INCIDENT, incident.id, target="status"))
        )
    if page + 1 < pages:
        buttons.append(Button(turn.t("list_more"), Action(ActionName.LIST, value=str(page + 1))))
    turn.say(
        Reply(
            kind=ReplyKind.TEXT,
            title=turn.t("list_title", count=len(incidents), page=page + 1, pages=pages),
            text="\n\n".join(lines),
            buttons=tuple(buttons),
        )
    )


async def _line(turn: Turn, incident: Incident) -> str:
    steps = await turn.tx.get_steps(incident.id)
    done = sum(1 for s in steps if s.status.is_closed)
    waiting = [s for s in steps if s.status in (StepStatus.OPEN, StepStatus.BLOCKED)]
    overdue = [s for s in waiting if s.due_at < turn.now]
    title = turn.playbook_of(incident).title.get(turn.lang)
    reported = clock_time(incident.reported_at, tz=turn.org.tz, now=turn.now, lang=turn.lang)
    parts = [
        f"*{incident.id}* {title}",
        turn.t("checklist_reported", time=reported, who=incident.reporter_name),
        turn.t("list_counts", done=done, open=len(waiting), overdue=len(overdue)),
    ]
    upcoming = sorted((s for s in waiting if s.due_at >= turn.now), key=lambda s: s.due_at)
    if upcoming:
        parts.append(turn.t("list_next", deadline=_deadline(turn, incident, upcoming[0])))
        if len(upcoming) > 1:
            parts.append(turn.t("list_final", deadline=_deadline(turn, incident, upcoming[-1])))
    return "\n".join(parts)


def _deadline(turn: Turn, incident: Incident, step: Step) -> str:
    title = turn.playbook_of(incident).step(step.step_id).title.get(turn.lang)
    time = clock_time(step.due_at, tz=turn.org.tz, now=turn.now, lang=turn.lang)
    return f"{time}, {turn.t('left', left=duration(step.due_at - turn.now, turn.lang))}: {title}"


TIMELINE_LINES = 30  # a chat message, not the evidence file: the latest events only


async def show_timeline(turn: Turn, incident_id: str | None) -> None:
    """The latest events in plain words; closed incidents can be looked back on too."""
    incident = await turn.tx.get_incident(incident_id) if incident_id else None
    if incident is None or incident.tenant_id != turn.inbound.tenant_id:
        raise turn.fail("stale_button")
    people = await turn.tx.get_participants(incident.id)
    if not turn.is_manager and all(p.user_key != turn.actor for p in people):
        raise turn.fail("not_participant", incident_id=incident.id)
    describe = Describer(
        playbook=turn.playbook_of(incident),
        tz=turn.org.tz,
        lang=turn.lang,
        reported_at=incident.reported_at,
    )
    events = await turn.tx.get_events(incident.id)
    lines = [
        f"{clock_time(e.at, tz=turn.org.tz, now=turn.now, lang=turn.lang)} "
        f"{e.actor_name}: {describe(e)}"
        for e in events
    ]
    shown = lines[-TIMELINE_LINES:]
    if len(lines) > len(shown):
        shown.insert(0, turn.t("timeline_more", count=len(lines) - len(shown)))
    turn.say(
        Reply(
            kind=ReplyKind.TEXT,
            incident_id=incident.id,
            text="\n".join(shown),
            title=turn.t("timeline_title", incident_id=incident.id),
        )
    )
