"""Incidents, the people taking part in them, and the facts they answered."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.chain import format_utc, parse_utc
from bot.ports import (
    Fact,
    FactStatus,
    Incident,
    IncidentPlan,
    IncidentStatus,
    Participant,
    PlanRole,
)
from storage.errors import StoreError
from storage.models import FactRow, IncidentRow, ParticipantRow
from storage.sql import AnyRow, insert, unindexed

_INCIDENT = IncidentRow.__table__

# The reads of every turn, built once: a statement built per call costs more Python than
# its execution (SQLAlchemy's cache key of a statement object is computed only once).
_ONE = select(_INCIDENT).where(IncidentRow.id == bindparam("incident_id"))
_ONE_LOCKED = _ONE.with_for_update()
_OPEN_FOR = (
    select(_INCIDENT)
    .join(ParticipantRow, ParticipantRow.incident_id == IncidentRow.id)
    .where(
        ParticipantRow.user_key == bindparam("user_key"),
        unindexed(IncidentRow.status) == IncidentStatus.OPEN.value,
        unindexed(IncidentRow.org_id) == bindparam("org_id"),
    )
    .order_by(IncidentRow.reported_at.desc(), IncidentRow.id)
)
_OPEN_HERE = (
    select(_INCIDENT)
    .where(
        IncidentRow.origin_channel == bindparam("channel"),
        IncidentRow.origin_conversation == bindparam("conversation_id"),
        unindexed(IncidentRow.org_id) == bindparam("org_id"),
        unindexed(IncidentRow.status) == IncidentStatus.OPEN.value,
    )
    .order_by(IncidentRow.reported_at.desc(), IncidentRow.id)
)
_PARTICIPANTS = (
    select(ParticipantRow.__table__)
    .where(ParticipantRow.incident_id == bindparam("incident_id"))
    .order_by(ParticipantRow.joined_at, ParticipantRow.user_key)
)
_FACTS = (
    select(FactRow.__table__)
    .where(FactRow.incident_id == bindparam("incident_id"))
    .order_by(FactRow.fact_id)
)


async def create(conn: AsyncConnection, *, incident: Incident) -> None:
    await conn.execute(insert(conn, IncidentRow).values(**_incident_values(incident)))


async def get(conn: AsyncConnection, *, incident_id: str, lock: bool) -> Incident | None:
    """``lock`` takes the row lock (``FOR UPDATE``) until the transaction ends, so writers
    to one incident queue. SQLite compiles it away: ``BEGIN IMMEDIATE`` already holds the
    whole database."""
    stmt = _ONE_LOCKED if lock else _ONE
    row = (await conn.execute(stmt, {"incident_id": incident_id})).first()
    return None if row is None else _incident(row)


async def update_incident(conn: AsyncConnection, *, incident: Incident) -> None:
    """Overwrite every field of an existing incident but its organisation (set when it is
    opened, or by ``adopt``: an incident read before an adoption must not undo it); a
    missing one is a bug, so it raises."""
    values = _incident_values(incident)
    del values["id"], values["org_id"]
    result = await conn.execute(
        update(IncidentRow).where(IncidentRow.id == incident.id).values(**values)
    )
    if result.rowcount != 1:
        raise StoreError(f"cannot update incident {incident.id!r}: it does not exist")


async def open_for(
    conn: AsyncConnection,
    *,
    org_id: str,
    user_key: str,
    limit: int | None = None,
    offset: int = 0,
) -> list[Incident]:
    """Open incidents of the organisation this person takes part in, newest first; a page
    of them with ``limit``/``offset``."""
    stmt = _page(_OPEN_FOR, limit, offset)
    rows = await conn.execute(stmt, {"org_id": org_id, "user_key": user_key})
    return [_incident(row) for row in rows]


async def open_all(
    conn: AsyncConnection, *, org_id: str | None, limit: int | None = None, offset: int = 0
) -> list[Incident]:
    """Open incidents (of one organisation, or all), newest first; a page with ``limit``."""
    return [_incident(row) for row in await conn.execute(_page(_open(org_id), limit, offset))]


async def open_here(
    conn: AsyncConnection, *, org_id: str, channel: str, conversation_id: str
) -> list[Incident]:
    """Open incidents of the organisation opened in this conversation, newest first
    (indexed)."""
    where = {"org_id": org_id, "channel": channel, "conversation_id": conversation_id}
    return [_incident(row) for row in await conn.execute(_OPEN_HERE, where)]


async def count_open(conn: AsyncConnection, *, org_id: str, user_key: str | None) -> int:
    """How many open incidents the organisation has (that this person takes part in)."""
    stmt = select(func.count()).select_from(IncidentRow)
    if user_key is None:
        stmt = stmt.where(
            IncidentRow.status == IncidentStatus.OPEN.value, IncidentRow.org_id == org_id
        )
    else:  # from the person's few participations, not the organisation's many incidents
        stmt = stmt.join(ParticipantRow, ParticipantRow.incident_id == IncidentRow.id).where(
            ParticipantRow.user_key == user_key,
            unindexed(IncidentRow.status) == IncidentStatus.OPEN.value,
            unindexed(IncidentRow.org_id) == org_id,
        )
    return int((await conn.execute(stmt)).scalar_one())


def _page(stmt: Select[Any], limit: int | None, offset: int) -> Select[Any]:
    return stmt if limit is None else stmt.limit(limit).offset(max(offset, 0))


async def closed(conn: AsyncConnection, *, org_id: str, user_key: str | None) -> list[Incident]:
    """Closed or stopped incidents of the organisation (the ones ``user_key`` took part in,
    when given), most recently reported first."""
    stmt = (
        select(_INCIDENT)
        .where(IncidentRow.status != IncidentStatus.OPEN.value)
        .where(IncidentRow.org_id == org_id)
    )
    if user_key is not None:
        stmt = stmt.join(ParticipantRow, ParticipantRow.incident_id == IncidentRow.id)
        stmt = stmt.where(ParticipantRow.user_key == user_key)
    stmt = stmt.order_by(IncidentRow.reported_at.desc(), IncidentRow.id)
    return [_incident(row) for row in await conn.execute(stmt)]


async def every(conn: AsyncConnection) -> list[Incident]:
    """All incidents whatever their status, oldest first."""
    stmt = select(_INCIDENT).order_by(IncidentRow.reported_at, IncidentRow.id)
    return [_incident(row) for row in await conn.execute(stmt)]


async def unowned(conn: AsyncConnection) -> list[Incident]:
    """The incidents no organisation is stored for, locked (in id order: two processes
    adopting at once queue instead of deadlocking, and the second finds them owned)."""
    stmt = (
        select(_INCIDENT)
        .where(IncidentRow.org_id.is_(None))
        .order_by(IncidentRow.id)
        .with_for_update()
    )
    return [_incident(row) for row in await conn.execute(stmt)]


async def adopt(
    conn: AsyncConnection, *, org_id: str, incident_ids: Sequence[str], was: str | None
) -> int:
    """Store ``org_id`` as the organisation of these incidents, where the one stored is
    still ``was`` (None: none yet); how many took it."""
    adopted = 0
    for start in range(0, len(incident_ids), _ADOPT_BATCH):
        result = await conn.execute(
            update(IncidentRow)
            .where(
                IncidentRow.id.in_(incident_ids[start : start + _ADOPT_BATCH]),
                IncidentRow.org_id.is_not_distinct_from(was),
            )
            .values(org_id=org_id)
        )
        adopted += result.rowcount
    return adopted


_ADOPT_BATCH = 500  # ids per statement: well under SQLite's and asyncpg's parameter limits


def _open(org_id: str | None) -> Select[Any]:
    stmt = select(_INCIDENT).where(IncidentRow.status == IncidentStatus.OPEN.value)
    if org_id is not None:
        stmt = stmt.where(IncidentRow.org_id == org_id)
    return stmt.order_by(IncidentRow.reported_at.desc(), IncidentRow.id)


def _incident_values(incident: Incident) -> dict[str, Any]:
    try:
        plans = [
            {"id": p.playbook_id, "role": p.role.value, "since": format_utc(p.since)}
            for p in incident.plan_list()
        ]
    except ValueError as exc:  # a naive time, refused like one in a column
        raise StoreError(f"cannot store incident {incident.id}: {exc}") from exc
    return {
        "id": incident.id,
        "tenant_id": incident.tenant_id,
        "org_id": incident.org_id,
        "playbook_id": incident.playbook_id,
        "lang": incident.lang,
        "status": incident.status.value,
        "reported_at": incident.reported_at,
        "reported_by": incident.reported_by,
        "reporter_name": incident.reporter_name,
        "lead": incident.lead,
        "conversation": incident.conversation,
        "closed_at": incident.closed_at,
        "close_reason": incident.close_reason,
        "plans": plans,
        **origin_columns(incident.conversation),
    }


def origin_columns(conversation: dict[str, Any]) -> dict[str, str | None]:
    """The indexed copy of where an incident was opened (the migration backfills with it)."""
    channel, conversation_id = conversation.get("channel"), conversation.get("conversation_id")
    return {
        "origin_channel": channel if isinstance(channel, str) else None,
        "origin_conversation": conversation_id if isinstance(conversation_id, str) else None,
    }


def _incident(row: AnyRow) -> Incident:
    incident = Incident(
        id=row.id,
        tenant_id=row.tenant_id,
        playbook_id=row.playbook_id,
        lang=row.lang,
        status=IncidentStatus(row.status),
        reported_at=row.reported_at,
        reported_by=row.reported_by,
        reporter_name=row.reporter_name,
        lead=row.lead,
        conversation=row.conversation,
        closed_at=row.closed_at,
        close_reason=row.close_reason,
        org_id=row.org_id,
    )
    plans = tuple(
        IncidentPlan(p["id"], PlanRole(p["role"]), parse_utc(p["since"])) for p in row.plans
    )
    # One plan since the report is what ``plans=()`` means: kept in that one form.
    if plans != incident.plan_list():
        incident.plans = plans
    return incident


# Participants ----------------------------------------------------------------------------


async def add_participant(conn: AsyncConnection, *, participant: Participant) -> bool:
    """False if the person already takes part (their first join time is kept)."""
    stmt = (
        insert(conn, ParticipantRow)
        .values(
            incident_id=participant.incident_id,
            user_key=participant.user_key,
            name=participant.name,
            joined_at=participant.joined_at,
        )
        .on_conflict_do_nothing(
            index_elements=[ParticipantRow.incident_id, ParticipantRow.user_key]
        )
        .returning(ParticipantRow.user_key)
    )
    return (await conn.execute(stmt)).first() is not None


async def get_participants(conn: AsyncConnection, *, incident_id: str) -> list[Participant]:
    """In the order they joined."""
    return [
        Participant(
            incident_id=row.incident_id,
            user_key=row.user_key,
            name=row.name,
            joined_at=row.joined_at,
        )
        for row in await conn.execute(_PARTICIPANTS, {"incident_id": incident_id})
    ]


# Facts -------------------------------------------------------------------------------------


async def set_fact(conn: AsyncConnection, *, fact: Fact) -> None:
    """Insert or overwrite the fact's current value (its history lives in the timeline)."""
    stmt = insert(conn, FactRow).values(
        incident_id=fact.incident_id,
        fact_id=fact.fact_id,
        status=fact.status.value,
        value=fact.value,
        updated_at=fact.updated_at,
        updated_by=fact.updated_by,
    )
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[FactRow.incident_id, FactRow.fact_id],
            set_={
                "status": stmt.excluded.status,
                "value": stmt.excluded.value,
                "updated_at": stmt.excluded.updated_at,
                "updated_by": stmt.excluded.updated_by,
            },
        )
    )


async def get_facts(conn: AsyncConnection, *, incident_id: str) -> dict[str, Fact]:
    return {
        row.fact_id: Fact(
            incident_id=row.incident_id,
            fact_id=row.fact_id,
            status=FactStatus(row.status),
            value=row.value,
            updated_at=row.updated_at,
            updated_by=row.updated_by,
        )
        for row in await conn.execute(_FACTS, {"incident_id": incident_id})
    }
