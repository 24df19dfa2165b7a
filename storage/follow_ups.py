"""Follow-ups: one row per prevention measure proposed at an incident's close, written with
optimistic concurrency like steps (two people marking one done record it once)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.ports import FollowUp, FollowUpStatus
from storage.models import FollowUpRow
from storage.sql import AnyRow, insert

_FOLLOW_UP = FollowUpRow.__table__


async def add(conn: AsyncConnection, *, follow_ups: Sequence[FollowUp]) -> None:
    if follow_ups:
        await conn.execute(
            insert(conn, FollowUpRow),
            [
                {**_mutable(f), "incident_id": f.incident_id, "follow_up_id": f.follow_up_id}
                for f in follow_ups
            ],
        )


async def get_all(conn: AsyncConnection, *, incident_id: str) -> list[FollowUp]:
    stmt = (
        select(_FOLLOW_UP)
        .where(FollowUpRow.incident_id == incident_id)
        .order_by(FollowUpRow.position)
    )
    return [_follow_up(row) for row in await conn.execute(stmt)]


async def get_open(conn: AsyncConnection) -> list[FollowUp]:
    stmt = (
        select(_FOLLOW_UP)
        .where(FollowUpRow.status == FollowUpStatus.OPEN.value)
        .order_by(FollowUpRow.due_at, FollowUpRow.incident_id, FollowUpRow.position)
    )
    return [_follow_up(row) for row in await conn.execute(stmt)]


async def update_if_version(
    conn: AsyncConnection, *, follow_up: FollowUp, expected_version: int
) -> bool:
    stmt = (
        update(FollowUpRow)
        .where(
            FollowUpRow.incident_id == follow_up.incident_id,
            FollowUpRow.follow_up_id == follow_up.follow_up_id,
            FollowUpRow.version == expected_version,
        )
        .values(**{**_mutable(follow_up), "version": expected_version + 1})
    )
    return (await conn.execute(stmt)).rowcount == 1


def _mutable(follow_up: FollowUp) -> dict[str, Any]:
    return {
        "position": follow_up.position,
        "playbook_id": follow_up.plan,
        "status": follow_up.status.value,
        "owner": follow_up.owner,
        "owner_name": follow_up.owner_name,
        "due_at": follow_up.due_at,
        "proposed_at": follow_up.proposed_at,
        "version": follow_up.version,
        "done_at": follow_up.done_at,
        "done_by": follow_up.done_by,
        "done_by_name": follow_up.done_by_name,
    }


def _follow_up(row: AnyRow) -> FollowUp:
    return FollowUp(
        incident_id=row.incident_id,
        follow_up_id=row.follow_up_id,
        position=row.position,
        plan=row.playbook_id,
        status=FollowUpStatus(row.status),
        owner=row.owner,
        owner_name=row.owner_name,
        due_at=row.due_at,
        proposed_at=row.proposed_at,
        version=row.version,
        done_at=row.done_at,
        done_by=row.done_by,
        done_by_name=row.done_by_name,
    )
