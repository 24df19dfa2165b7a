"""Who a typed name or a mention means, and taking them into the incident: shared by
assigning steps, the lead and follow-ups."""

from __future__ import annotations

from bot.events import ParticipantJoined, Role
from bot.flows.turn import Turn
from bot.messages import user_key
from bot.ports import Incident, Participant

_ME = {"me", "mij", "ik", "myself", "mezelf", "i"}


async def resolve(turn: Turn, incident: Incident, named: str) -> tuple[str, str] | None:
    """A mention names someone on the platform; a typed name must be in the incident."""
    inbound = turn.inbound
    if inbound.mentions:
        mention = inbound.mentions[0]
        return user_key(inbound.channel, inbound.tenant_id, mention.user_id), mention.name
    wanted = named.strip().lstrip("@").strip().casefold()
    if wanted in _ME:
        return turn.actor, turn.actor_name
    people = await turn.tx.get_participants(incident.id)
    exact = [p for p in people if p.name.casefold() == wanted]
    starting = [p for p in people if wanted and p.name.casefold().startswith(wanted)]
    found = exact or (starting if len(starting) == 1 else [])
    return (found[0].user_key, found[0].name) if found else None


async def join_assignee(turn: Turn, incident: Incident, key: str, name: str) -> None:
    person = Participant(incident_id=incident.id, user_key=key, name=name, joined_at=turn.now)
    if await turn.tx.add_participant(person):
        await turn.record(incident.id, ParticipantJoined(role=Role.ASSIGNEE, name=name, person=key))
