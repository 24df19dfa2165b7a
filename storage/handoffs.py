"""Hand-offs: the durable outbox of mail and webhooks for someone outside Noodrem.

A row is written claimed by the turn that asked for it (it sends at once); every try is
recorded on the row, and a failed one goes back to pending with the time of the next try.
A process that dies while holding rows loses nothing: the lease runs out and the next
claim takes them (a crash between send and record
sends once more rather than never).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.ports import HandoffMessage, HandoffStatus, NewHandoff, Transport
from storage import leases
from storage.errors import StoreError
from storage.models import HandoffRow
from storage.sql import AnyRow

_CLAIMED = HandoffStatus.CLAIMED.value
_COLUMNS = (
    HandoffRow.id,
    HandoffRow.incident_id,
    HandoffRow.step_id,
    HandoffRow.transport,
    HandoffRow.recipient,
    HandoffRow.content,
    HandoffRow.status,
    HandoffRow.attempts,
    HandoffRow.due_at,
    HandoffRow.created_at,
    HandoffRow.delivered_at,
    HandoffRow.error,
    HandoffRow.acknowledged_at,
)


async def add(
    conn: AsyncConnection,
    *,
    incident_id: str,
    handoffs: Sequence[NewHandoff],
    at: datetime,
    lease_until: datetime,
) -> list[int]:
    ids = []
    for handoff in handoffs:  # one by one: RETURNING of a multi-row insert has no order
        stmt = (
            insert(HandoffRow)
            .values(
                incident_id=incident_id,
                step_id=handoff.step_id,
                transport=handoff.transport.value,
                recipient=handoff.recipient,
                content=handoff.content,
                status=_CLAIMED,
                attempts=0,
                due_at=at,
                lease_until=lease_until,
                created_at=at,
            )
            .returning(HandoffRow.id)
        )
        ids.append(int((await conn.execute(stmt)).scalar_one()))
    return ids


async def claim_due(
    conn: AsyncConnection, *, now: datetime, lease_until: datetime, limit: int
) -> list[HandoffMessage]:
    """As deadlines are claimed (``storage.leases``): two processes never take one row."""
    stmt = leases.claim_due(
        HandoffRow, now=now, lease_until=lease_until, limit=limit, returning=_COLUMNS
    )
    claimed = [_handoff(row) for row in await conn.execute(stmt)]
    return sorted(claimed, key=lambda h: (h.due_at, h.id))


async def get_one(conn: AsyncConnection, *, handoff_id: int) -> HandoffMessage | None:
    row = (await conn.execute(select(*_COLUMNS).where(HandoffRow.id == handoff_id))).first()
    return None if row is None else _handoff(row)


async def get_all(conn: AsyncConnection, *, incident_id: str) -> list[HandoffMessage]:
    stmt = select(*_COLUMNS).where(HandoffRow.incident_id == incident_id).order_by(HandoffRow.id)
    return [_handoff(row) for row in await conn.execute(stmt)]


async def record_try(
    conn: AsyncConnection,
    *,
    handoff_id: int,
    status: HandoffStatus,
    attempts: int,
    at: datetime,
    due_at: datetime,
    error: str | None,
) -> None:
    delivered = {"delivered_at": at} if status is HandoffStatus.DELIVERED else {}
    result = await conn.execute(
        update(HandoffRow)
        .where(HandoffRow.id == handoff_id)
        .values(
            status=status.value,
            attempts=attempts,
            due_at=due_at,
            error=error,
            lease_until=None,
            **delivered,
        )
    )
    if result.rowcount != 1:
        raise StoreError(f"cannot record a try of hand-off {handoff_id}: it does not exist")


async def acknowledge(conn: AsyncConnection, *, handoff_id: int, at: datetime) -> bool:
    result = await conn.execute(
        update(HandoffRow)
        .where(HandoffRow.id == handoff_id, HandoffRow.acknowledged_at.is_(None))
        .values(acknowledged_at=at)
    )
    return bool(result.rowcount)


async def next_due_at(conn: AsyncConnection) -> datetime | None:
    return await leases.next_due_at(conn, HandoffRow)


def _handoff(row: AnyRow) -> HandoffMessage:
    return HandoffMessage(
        id=row.id,
        incident_id=row.incident_id,
        step_id=row.step_id,
        transport=Transport(row.transport),
        recipient=row.recipient,
        content=row.content,
        status=HandoffStatus(row.status),
        attempts=row.attempts,
        due_at=row.due_at,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
        error=row.error,
        acknowledged_at=row.acknowledged_at,
    )
