"""Open incidents at a glance: what a manager (or a participant) needs to steer."""

from __future__ import annotations

from bot import cards
from bot.evidence.describe import Describer
from bot.flows.turn import Turn
from bot.messages import Action, ActionName, Button, Reply, ReplyKind
from bot.ports import Incident
from bot.timefmt import clock_time

PAGE_SIZE = 10  # keeps one page inside Slack's 50-block message and Teams' card limits


async def list_incidents(turn: Turn, *, page: int = 0) -> None:
    """Managers see every open incident of their organisation; others the ones they are in."""
    inbound = turn.inbound
    # One page read in SQL, so the cost does not grow with the tenant's open incidents.
    manager = turn.org.manager_for(inbound.channel, inbound.user_id, inbound.user_name)
    who = None if manager else turn.actor
    total = await turn.tx.count_open_incidents(tenant_id=inbound.tenant_id, user_key=who)
    if not total:
        turn.say_text("list_empty")
        return
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(page, 0), pages - 1)
    window = {"limit": PAGE_SIZE, "offset": page * PAGE_SIZE}
    if who is None:
        shown = await turn.tx.open_incidents(tenant_id=inbound.tenant_id, **window)
    else:
        shown = await turn.tx.open_incidents_for(
            tenant_id=inbound.tenant_id, user_key=who, **window
        )
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
            title=turn.t("list_title", count=total, page=page + 1, pages=pages),
            text="\n\n".join(lines),
            buttons=tuple(buttons),
        )
    )


async def _line(turn: Turn, incident: Incident) -> str:
    return cards.incident_summary(
        incident=incident,
        playbook=turn.playbook_of(incident),
        steps=await turn.tx.get_steps(incident.id),
        org=turn.org,
        now=turn.now,
        lang=turn.lang,
    )


TIMELINE_LINES = 30  # a chat message, not the evidence file: the latest events only


async def show_timeline(turn: Turn, incident_id: str | None) -> None:
    """The latest events in plain words; closed incidents can be looked back on too."""
    incident = await turn.readable_incident(incident_id)
    describe = Describer(
        playbook=turn.playbook_of(incident),
        tz=turn.org.tz,
        lang=turn.lang,
        reported_at=incident.reported_at,
    )
    events = await turn.tx.latest_events(incident.id, limit=TIMELINE_LINES)
    shown = [
        f"{clock_time(e.at, tz=turn.org.tz, now=turn.now, lang=turn.lang)} "
        f"{e.actor_name}: {describe(e)}"
        for e in events
    ]
    earlier = events[0].seq - 1 if events else 0  # seq runs from 1 without gaps
    if earlier:
        shown.insert(0, turn.t("timeline_more", count=earlier))
    turn.say(
        Reply(
            kind=ReplyKind.TEXT,
            incident_id=incident.id,
            text="\n".join(shown),
            title=turn.t("timeline_title", incident_id=incident.id),
        )
    )
