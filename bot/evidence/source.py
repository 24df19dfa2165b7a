"""Reading one incident's evidence through the store port, for the CLI and the chat alike.

Besides the events only the incident row's tenant and conversation are read (both set
once, when the incident opens) to find its organisation and so its time zone; every fact,
step and result comes from the events.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.errors import NotFound
from bot.events import IncidentOpened, PlanAdded, PlanSwitched, of
from bot.evidence import EvidenceError
from bot.evidence.model import Timeline
from bot.evidence.timeline import build_timeline
from bot.messages import Lang
from bot.organisation import DEFAULT_ORGANISATION, Organisations
from bot.playbook import Playbook
from bot.playbook.combined import combine
from bot.ports import Event, Transaction


@dataclass(frozen=True, slots=True)
class Evidence:
    """An incident's events and the view model built from them."""

    events: list[Event]
    timeline: Timeline


#: The events that bring another plan into an incident.


class UnknownIncident(NotFound, EvidenceError):
    """No incident with that id: the one error a person fixes by retyping."""


async def read_evidence(
    tx: Transaction,
    incident_id: str,
    *,
    organisations: Organisations,
    playbooks: Mapping[str, Playbook],
    generated_at: datetime,
    lang: Lang | None = None,
    generated_by: str = "",
) -> Evidence:
    """Raises ``UnknownIncident``, or ``EvidenceError`` when its playbook is not installed."""
    incident = await tx.get_incident(incident_id)
    events = await tx.get_events(incident_id) if incident is not None else []
    if incident is None or not events:
        raise UnknownIncident(f"there is no incident {incident_id}")
    # The plans in the order they came in: the one it was opened with, then each switch
    # or addition; the last one switched to names the incident.
    opened = of(events[0])
    ids = [opened.playbook if isinstance(opened, IncidentOpened) else incident.playbook_id]
    main = ids[0]
    for event in events:
        match of(event):
            case PlanSwitched(plan=plan):
                ids.append(plan)
                main = plan
            case PlanAdded(plan=plan):
                ids.append(plan)
    missing = [pid for pid in ids if pid not in playbooks]
    if missing:
        raise EvidenceError(
            f"incident {incident_id} follows playbook {missing[0]!r}, which is not installed "
            "here: point PLAYBOOKS_DIR at the folder that has it"
        )
    playbook = combine([playbooks[pid] for pid in dict.fromkeys(ids)], main=playbooks[main])
    organisation = organisations.of_incident(incident)
    timeline = build_timeline(
        events,
        playbook=playbook,
        organisation=None if organisation is DEFAULT_ORGANISATION else organisation.name,
        tz=organisation.tz,
        generated_at=generated_at,
        lang=lang,
        generated_by=generated_by,
    )
    return Evidence(events=events, timeline=timeline)
