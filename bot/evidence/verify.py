"""Re-check a JSON export: recompute every hash and name the first thing that is wrong.

Each event's hash covers its own fields and the previous event's hash, and ``seq``
numbers the events 1, 2, 3, ... So a changed event no longer matches its own hash; a
removed one leaves a gap in ``seq``; an inserted one either repeats a ``seq`` or is
skipped by its successor's link; a reordered one turns up where another ``seq`` belongs.

What a chain cannot prove by itself: that nobody rebuilt all of it. The final hash is
therefore printed too, to compare with the PDF or with Noodrem's own database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from bot.chain import GENESIS, event_hash, format_utc, parse_utc
from bot.events import EvidenceExported, parse
from bot.evidence import EvidenceError
from bot.evidence.exports import PriorExport, prior_export

FIELDS: dict[str, type] = {
    "incident_id": str,
    "seq": int,
    "at": str,
    "actor": str,
    "actor_name": str,
    "kind": str,
    "data": dict,
    "prev_hash": str,
    "hash": str,
}


class Problem(StrEnum):
    CHANGED = "changed"
    REMOVED = "removed"
    INSERTED = "inserted"
    REORDERED = "reordered"


@dataclass(frozen=True, slots=True)
class Verdict:
    """``problem`` is None when the chain is intact; ``message`` is one line either way."""

    events: int
    final_hash: str
    message: str
    problem: Problem | None = None
    position: int | None = None  # 1-based place in the file of the event named
    exports: tuple[PriorExport, ...] = ()  # earlier exports recorded in an intact chain
    unmatched: tuple[PriorExport, ...] = ()  # of those, any whose hash is not in the chain

    @property
    def intact(self) -> bool:
        return self.problem is None

    def export_lines(self) -> list[str]:
        """One line per earlier export: the seq and hash printed on that file."""
        lines = []
        for export in self.exports:
            line = (
                f"export at {export.at} ({export.format}, {export.via}, {export.actor_name}): "
                f"covers event {export.covered.seq}, hash {export.covered.hash}"
            )
            if export in self.unmatched:
                line += " -- NOT the hash of that event in this chain"
            lines.append(line)
        return lines


@dataclass(frozen=True, slots=True)
class _Event:
    position: int  # 1-based
    seq: int
    kind: str
    at_text: str
    prev_hash: str
    hash: str
    valid: bool  # its fields still give its own hash
    actor_name: str = ""
    data: dict[str, Any] | None = None

    @property
    def name(self) -> str:
        return f"event {self.seq} ({self.kind}, {self.at_text}) at position {self.position}"


def load_export(path: Path) -> Any:
    """The parsed file; ``EvidenceError`` with one line when it cannot be read as JSON."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise EvidenceError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise EvidenceError(f"{path}: not UTF-8 text, so not a Noodrem JSON export") from None
    except json.JSONDecodeError as exc:
        raise EvidenceError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None


def verify_document(document: Any) -> Verdict:
    """Check an export already parsed from JSON; ``EvidenceError`` when it has the wrong
    shape (so it is not an export at all), a ``Verdict`` otherwise."""
    if not isinstance(document, dict) or not isinstance(document.get("events"), list):
        raise EvidenceError("not a Noodrem evidence export: no list of 'events'")
    raw = document["events"]
    if not raw:
        raise EvidenceError("not a Noodrem evidence export: the list of events is empty")
    events = [_read(position, item) for position, item in enumerate(raw, start=1)]
    verdict = _walk(events)
    if verdict is not None:
        return verdict
    last = events[-1]
    block = document.get("chain")
    chain = block if isinstance(block, dict) else {}
    stated_hash = chain.get("final_hash", last.hash)
    stated_count = chain.get("event_count", len(events))
    if stated_hash != last.hash or stated_count != len(events):
        return Verdict(
            events=len(events),
            final_hash=last.hash,
            problem=Problem.REMOVED,
            position=last.position,
            message=f"NOT intact: the file says the chain has {stated_count} events ending in "
            f"{stated_hash}, but it ends at event {last.seq}: events were removed from the end "
            "(or the 'chain' block was edited)",
        )
    exports = tuple(
        prior_export(seq=e.seq, at=e.at_text, actor_name=e.actor_name, exported=exported)
        for e in events
        if isinstance(exported := parse(e.kind, e.data or {}), EvidenceExported)
    )
    hashes = {e.seq: e.hash for e in events}
    unmatched = tuple(x for x in exports if hashes.get(x.covered.seq) != x.covered.hash)
    return Verdict(
        events=len(events),
        final_hash=last.hash,
        message=f"intact: {len(events)} events, final hash {last.hash}",
        exports=exports,
        unmatched=unmatched,
    )


def _read(position: int, item: Any) -> _Event:
    if not isinstance(item, dict):
        raise EvidenceError(f"not a Noodrem evidence export: event #{position} is not an object")
    for name, kind in FIELDS.items():
        value = item.get(name)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise EvidenceError(
                f"not a Noodrem evidence export: event #{position} has no valid {name!r}"
            )
    at: datetime | None
    try:
        at = parse_utc(item["at"])
    except ValueError:
        at = None  # an unreadable time cannot give the hash: the event was changed
    fields = {name: item[name] for name in FIELDS if name != "hash"}
    try:
        valid = at is not None and event_hash(**{**fields, "at": at}) == item["hash"]
    except TypeError:  # data that is not plain JSON (NaN) cannot be what was hashed
        valid = False
    return _Event(
        position=position,
        seq=item["seq"],
        kind=item["kind"],
        at_text=item["at"] if at is None else format_utc(at),
        prev_hash=item["prev_hash"],
        hash=item["hash"],
        valid=valid,
        actor_name=item["actor_name"],
        data=item["data"],
    )


def _walk(events: list[_Event]) -> Verdict | None:
    """The first break in the chain, classified; None when every link holds."""
    previous: _Event | None = None
    for index, event in enumerate(events):
        expected_prev = GENESIS if previous is None else previous.hash
        expected_seq = 1 if previous is None else previous.seq + 1
        if event.valid and event.prev_hash == expected_prev and event.seq == expected_seq:
            previous = event
            continue
        return _classify(events, index, expected_prev=expected_prev, expected_seq=expected_seq)
    return None


def _classify(
    events: list[_Event], index: int, *, expected_prev: str, expected_seq: int
) -> Verdict:
    """Why the event at ``index`` does not fit where it is. The checks run from the most
    specific evidence to the least: its own hash, a copy, a repeated ``seq``, a broken
    link with the right ``seq``, then a ``seq`` that belongs elsewhere or is missing."""
    event = events[index]
    following = events[index + 1] if index + 1 < len(events) else None
    if not event.valid:
        if following is not None and following.prev_hash == expected_prev != event.hash:
            why = "is not part of the chain: the event after it links to the one before it"
            return _bad(events, event, Problem.INSERTED, why)
        why = "was changed after it was recorded: its fields no longer give its hash"
        return _bad(events, event, Problem.CHANGED, why)
    original = next((e for e in events[:index] if e.hash == event.hash), None)
    if original is not None:
        why = f"is a copy of event {original.seq} at position {original.position}"
        return _bad(events, event, Problem.INSERTED, why)
    twin = next((e for e in events if e.seq == event.seq and e is not event), None)
    if twin is not None:  # of two events claiming one place, nothing links to the added one
        linked = {e.prev_hash for e in events}
        added = twin if twin.position < event.position and twin.hash not in linked else event
        why = f"was inserted: there are two events {event.seq} and nothing links to this one"
        return _bad(events, added, Problem.INSERTED, why)
    if event.seq == expected_seq:
        if index == 0:
            return _bad(events, event, Problem.CHANGED, "was changed: it does not start the chain")
        why = f"was changed and given a new hash: event {event.seq} no longer links to it"
        return _bad(events, events[index - 1], Problem.CHANGED, why)
    found = next((e for e in events if e.seq == expected_seq), None)
    if found is not None:
        why = f"is out of order: event {expected_seq} belongs here but is at position "
        return _bad(events, event, Problem.REORDERED, why + str(found.position))
    if event.seq > expected_seq:
        missing = (
            f"event {expected_seq} was"
            if event.seq - 1 == expected_seq
            else f"events {expected_seq} to {event.seq - 1} were"
        )
        return _bad(events, event, Problem.REMOVED, f"follows a gap: {missing} removed")
    return _bad(events, event, Problem.INSERTED, "does not belong in the chain here")


def _bad(events: list[_Event], event: _Event, problem: Problem, why: str) -> Verdict:
    return Verdict(
        events=len(events),
        final_hash=events[-1].hash,
        problem=problem,
        position=event.position,
        message=f"NOT intact ({problem.value}): {event.name} {why}",
    )
