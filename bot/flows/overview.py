"""Open incidents at a glance: what a manager (or a participant) needs to steer."""

from __future__ import annotations

from enum import StrEnum

from bot import cards
from bot.evidence.describe import Describer
from bot.flows.turn import Turn
from bot.messages import Button, ListIncidents, PickFor, PickIncident, Reply, ReplyKind
from bot.ports import Incident
from bot.timefmt import clock_time

PAGE_SIZE = 10  # keeps one page inside Slack's 50-block message and Teams' card limits


class Listing(StrEnum):
    """Which incidents ``lijst`` shows: the open ones, or (``lijst gesloten``) the closed."""

    OPEN = "open"
    CLOSED = "closed"


async def list_incidents(turn: Turn, *, page: int = 0, listing: Listing = Listing.OPEN) -> None:
    """Managers see every incident of their organisation; others the ones they are in.
    Closed incidents come with a button for their evidence file."""
    inbound = turn.inbound
    manager = turn.org.manager_for(inbound)
    who = None if manager else turn.actor
    closed: list[Incident] = []
    if listing is Listing.CLOSED:
        closed = await turn.tx.closed_incidents(org_id=turn.org.id, user_key=who)
        total = len(closed)
    else:
        # One page read in SQL, so the cost does not grow with the organisation's incidents.
        total = await turn.tx.count_open_incidents(org_id=turn.org.id, user_key=who)
    if not total:
        if listing is Listing.CLOSED:
            turn.say_text("list_closed_empty")
        else:
            turn.say(
                Reply(
                    kind=ReplyKind.TEXT,
                    text=turn.t("list_empty") + "\n" + turn.t("list_closed_hint"),
                )
            )
        return
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(page, 0), pages - 1)
    window = {"limit": PAGE_SIZE, "offset": page * PAGE_SIZE}
    if listing is Listing.CLOSED:
        shown = closed[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    elif who is None:
        shown = await turn.tx.open_incidents(org_id=turn.org.id, **window)
    else:
        shown = await turn.tx.open_incidents_for(org_id=turn.org.id, user_key=who, **window)
    lines, buttons = [], []
    for incident in shown:
        lines.append(await _line(turn, incident))
        if listing is Listing.CLOSED:
            buttons.append(cards.export_button(incident.id, turn.lang, with_id=True))
        else:
            buttons.append(Button(incident.id, PickIncident(incident.id, PickFor.STATUS)))
    if page + 1 < pages:
        more = ListIncidents(closed=listing is Listing.CLOSED, page=page + 1)
        buttons.append(Button(turn.t("list_more"), more))
    title = "list_closed_title" if listing is Listing.CLOSED else "list_title"
    turn.say(
        Reply(
            kind=ReplyKind.TEXT,
            title=turn.t(title, count=total, page=page + 1, pages=pages),
            text="\n\n".join(lines),
            buttons=tuple(buttons),
        )
    )


async def _line(turn: Turn, incident: Incident) -> str:
    return cards.incident_summary(
        incident=incident,
        title=cards.plans_title(incident, turn.playbooks, turn.lang),
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
