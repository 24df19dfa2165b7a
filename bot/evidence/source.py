"""Reading one incident's evidence through the store port, for the CLI and the chat alike.

Besides the events only the incident row's tenant and conversation are read (both set
once, when the incident opens) to find its organisation and so its time zone; every fact,
step and result comes from the events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.chain import GENESIS, event_hash
from bot.errors import NotFound
from bot.events import IncidentOpened, PlanAdded, PlanSwitched, of
from bot.evidence import EvidenceError
from bot.evidence.model import Timeline
from bot.evidence.timeline import build_timeline
from bot.messages import Lang
from bot.organisation import DEFAULT_ORGANISATION, Organisation, Organisations
from bot.playbook import Playbook
from bot.playbook.combined import combine
from bot.ports import Event, Incident, Transaction


@dataclass(frozen=True, slots=True)
class Evidence:
    """An incident's events and the view model built from them."""

    events: list[Event]
    timeline: Timeline


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
    """Every event and every line in memory (a register, a test); an export streams with
    ``cli.write_export``. Raises ``UnknownIncident``, or ``EvidenceError`` when its
    playbook is not installed."""
    incident = await tx.get_incident(incident_id)
    events = await tx.get_events(incident_id) if incident is not None else []
    if incident is None or not events:
        raise UnknownIncident(f"there is no incident {incident_id}")
    playbook = _playbook(incident, events, playbooks)
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


async def plans_of(
    tx: Transaction,
    incident_id: str,
    *,
    organisations: Organisations,
    playbooks: Mapping[str, Playbook],
) -> tuple[Playbook, Organisation]:
    """What an export needs before its first read of the timeline: the incident's plans
    (from the few events that bring one in) and its organisation. Raises
    ``UnknownIncident``, or ``EvidenceError`` when its playbook is not installed."""
    incident = await tx.get_incident(incident_id)
    if incident is None:
        raise UnknownIncident(f"there is no incident {incident_id}")
    moves: list[Event] = []
    async for found in tx.iter_events(incident_id, kinds=PLAN_KINDS):
        moves += found
    if not moves:
        raise UnknownIncident(f"there is no incident {incident_id}")
    return _playbook(incident, moves, playbooks), organisations.of_incident(incident)


PLAN_KINDS = (IncidentOpened.kind, PlanSwitched.kind, PlanAdded.kind)


def _playbook(
    incident: Incident, events: Sequence[Event], playbooks: Mapping[str, Playbook]
) -> Playbook:
    """The plans in the order they came in (``events``: the opening and each switch or
    addition, in order, among any others): the one it was opened with, then each switch or
    addition; the last one switched to names the incident."""
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
            f"incident {incident.id} follows playbook {missing[0]!r}, which is not installed "
            "here: point PLAYBOOKS_DIR at the folder that has it"
        )
    return combine([playbooks[pid] for pid in dict.fromkeys(ids)], main=playbooks[main])


class ChainCheck:
    """The hash chain re-checked one event at a time, as ``verify`` checks a JSON export:
    each event's fields must give its hash, link to the one before and number on from it.
    Keeps the first break, not the events."""

    def __init__(self) -> None:
        self.previous = GENESIS
        self.seq = 0
        self.broken: str | None = None  # what the first break is, in a sentence

    @property
    def intact(self) -> bool:
        return self.broken is None

    def add(self, event: Event) -> None:
        if self.broken is not None:
            return
        if event.seq != self.seq + 1:
            self.broken = f"event {self.seq + 1} is missing (event {event.seq} follows {self.seq})"
        elif event.prev_hash != self.previous:
            self.broken = f"event {event.seq} ({event.kind}) does not link to event {self.seq}"
        elif chain_hash(event) != event.hash:
            self.broken = (
                f"event {event.seq} ({event.kind}) was changed after it was recorded: "
                "its fields no longer give its hash"
            )
        self.previous, self.seq = event.hash, event.seq


def chain_hash(event: Event) -> str:
    """The hash ``event``'s fields give (``TypeError``: data no hash was ever made of)."""
    try:
        return event_hash(
            incident_id=event.incident_id,
            seq=event.seq,
            at=event.at,
            actor=event.actor,
            actor_name=event.actor_name,
            kind=event.kind,
            data=event.data,
            prev_hash=event.prev_hash,
        )
    except TypeError:
        return ""
