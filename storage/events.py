"""The append-only, hash-chained timeline: the evidence an incident leaves behind.

There is deliberately no function here that updates or deletes an event.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import chain
from bot.ports import Event
from storage.models import EventRow


async def append(
    conn: AsyncConnection,
    *,
    incident_id: str,
    at: datetime,
    actor: str,
    actor_name: str,
    kind: str,
    data: dict[str, Any],
) -> Event:
    """Link a new event to the last one of the incident and store it.

    The caller holds the incident lock, so no one appends in between; without it, the
    primary key (incident_id, seq) makes the second writer fail instead of forking the
    chain. ``data`` is stored as it reads back from JSON (tuples become lists, enums
    strings), so the returned event equals what ``get_all`` returns later.
    """
    last = (
        await conn.execute(
            select(EventRow.seq, EventRow.hash)
            .where(EventRow.incident_id == incident_id)
            .order_by(EventRow.seq.desc())
            .limit(1)
        )
    ).first()
    seq, prev_hash = (1, chain.GENESIS) if last is None else (last.seq + 1, last.hash)
    fields: dict[str, Any] = {
        "incident_id": incident_id,
        "seq": seq,
        "at": at,
        "actor": actor,
        "actor_name": actor_name,
        "kind": kind,
        "prev_hash": prev_hash,
    }
    # Raises on a naive ``at`` or on data that is not plain JSON, before anything is written.
    stored = json.loads(chain.canonical_event_bytes(**fields, data=data))["data"]
    fields["at"] = at.astimezone(UTC)
    event = Event(**fields, data=stored, hash=chain.event_hash(**fields, data=stored))
    await conn.execute(insert(EventRow).values(**fields, data=stored, hash=event.hash))
    return event


async def get_all(conn: AsyncConnection, *, incident_id: str) -> list[Event]:
    """The whole timeline in order."""
    stmt = (
        select(EventRow.__table__).where(EventRow.incident_id == incident_id).order_by(EventRow.seq)
    )
    return await _events(conn, stmt)


async def iter_chunks(
    conn: AsyncConnection, *, incident_id: str, chunk: int, kinds: Sequence[str] | None = None
) -> AsyncIterator[list[Event]]:
    """The whole timeline in order, ``chunk`` events at a time, so a reader of 50,000
    events holds one chunk, not all of them. Each chunk is one keyset query on the primary
    key (``seq`` after the last one read), so every chunk costs the same; run it in one
    transaction (a ``snapshot()``) and the chunks are of one consistent timeline. With
    ``kinds`` only the events of those kinds."""
    if chunk < 1:
        raise ValueError(f"chunk must be at least 1, not {chunk}")
    after = 0
    while True:
        stmt = select(EventRow.__table__).where(
            EventRow.incident_id == incident_id, EventRow.seq > after
        )
        if kinds is not None:
            stmt = stmt.where(EventRow.kind.in_(kinds))
        rows = await _events(conn, stmt.order_by(EventRow.seq).limit(chunk))
        if rows:
            yield rows
        if len(rows) < chunk:
            return
        after = rows[-1].seq


async def get_latest(conn: AsyncConnection, *, incident_id: str, limit: int) -> list[Event]:
    """The last ``limit`` events, in order; read backwards on the primary key, so the cost
    does not grow with the timeline. Sequence numbers run from 1 without gaps, so the last
    one's ``seq`` is how many there are."""
    latest = (
        select(EventRow.__table__)
        .where(EventRow.incident_id == incident_id)
        .order_by(EventRow.seq.desc())
        .limit(limit)
    )
    return list(reversed(await _events(conn, latest)))


async def _events(conn: AsyncConnection, stmt: Select[Any]) -> list[Event]:
    return [
        Event(
            incident_id=row.incident_id,
            seq=row.seq,
            at=row.at,
            actor=row.actor,
            actor_name=row.actor_name,
            kind=row.kind,
            data=row.data,
            prev_hash=row.prev_hash,
            hash=row.hash,
        )
        for row in await conn.execute(stmt)
    ]
