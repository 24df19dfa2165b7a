"""Reading one incident's evidence through the store port, for the CLI and the chat alike.

Besides the events only the incident row's tenant and conversation are read (both set
once, when the incident opens) to find its organisation and so its time zone; every fact,
step and result comes from the events.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.chain import GENESIS, event_hash
from bot.errors import NotFound
from bot.events import IncidentOpened, PlanAdded, PlanSwitched, of
from bot.evidence import EvidenceError
from bot.evidence.exports import Covered
from bot.evidence.model import Timeline
from bot.evidence.timeline import EventLines, TimelineFold, build_timeline
from bot.messages import Lang
from bot.organisation import DEFAULT_ORGANISATION, Organisations
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
    ``stream_evidence``. Raises ``UnknownIncident``, or ``EvidenceError`` when its
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


@dataclass(frozen=True, slots=True)
class Streamed:
    """An incident's timeline read once to fold what the file says first (``timeline``,
    without its lines) and to check its chain; ``events()`` and ``lines()`` read it again,
    a chunk at a time, for the file's body. Use it inside the transaction or snapshot it
    was read in, so both reads see the same events."""

    tx: Transaction
    timeline: Timeline
    first: Event  # incident_opened: the JSON's head reads the plan from it
    playbook: Playbook
    chain: ChainCheck
    chunk: int

    @property
    def incident_id(self) -> str:
        return self.timeline.incident_id

    @property
    def covered(self) -> Covered:
        return Covered(seq=self.timeline.final_seq, hash=self.timeline.final_hash)

    async def events(self) -> AsyncIterator[list[Event]]:
        """The events again, in chunks, up to the last one the first read folded (so one
        appended since, outside a snapshot, is left out); ``EvidenceError`` if fewer."""
        count, wanted = 0, self.timeline.event_count
        async for chunk in self.tx.iter_events(self.incident_id, chunk=self.chunk):
            chunk = chunk[: wanted - count]
            count += len(chunk)
            if chunk:
                yield chunk
            if count == wanted:
                break
        if count != wanted:
            raise EvidenceError(f"the timeline of {self.incident_id} changed while it was read")

    def line_maker(self) -> EventLines:
        """Turns the events of ``events()``, fed in order, into the timeline's lines, as
        ``build_timeline`` has them."""
        timeline = self.timeline
        return EventLines(
            playbook=self.playbook, tz=timeline.tz, lang=timeline.lang, reported_at=self.first.at
        )


async def stream_evidence(
    tx: Transaction,
    incident_id: str,
    *,
    organisations: Organisations,
    playbooks: Mapping[str, Playbook],
    generated_at: datetime,
    lang: Lang | None = None,
    generated_by: str = "",
    chunk: int = 1000,
    also: Callable[[list[Event]], None] | None = None,
) -> Streamed:
    """The first read of an export: the plans, then every event ``chunk`` at a time,
    folded, its hash checked and handed to ``also`` (if given), none of them kept; each
    chunk's work runs in a thread, so the event loop keeps serving. Raises
    ``UnknownIncident``, or ``EvidenceError`` when its playbook is not installed."""
    incident = await tx.get_incident(incident_id)
    if incident is None:
        raise UnknownIncident(f"there is no incident {incident_id}")
    moves: list[Event] = []  # the few events that bring in a plan, before the fold needs it
    async for found in tx.iter_events(incident_id, chunk=chunk, kinds=PLAN_KINDS):
        moves += found
    if not moves:
        raise UnknownIncident(f"there is no incident {incident_id}")
    playbook = _playbook(incident, moves, playbooks)
    organisation = organisations.of_incident(incident)
    check = ChainCheck()
    fold: TimelineFold | None = None

    def take(events: list[Event]) -> None:
        for event in events:
            check.add(event)
            assert fold is not None
            fold.add(event)
        if also is not None:
            also(events)

    async for events in tx.iter_events(incident_id, chunk=chunk):
        if fold is None:
            fold = TimelineFold(events[0], playbook=playbook, tz=organisation.tz, lang=lang)
        await asyncio.to_thread(take, events)
    assert fold is not None  # the incident_opened event was found above
    timeline = fold.timeline(
        organisation=None if organisation is DEFAULT_ORGANISATION else organisation.name,
        generated_at=generated_at,
        generated_by=generated_by,
    )
    return Streamed(
        tx=tx, timeline=timeline, first=fold.first, playbook=playbook, chain=check, chunk=chunk
    )


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
