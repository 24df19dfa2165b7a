"""Deadlines: the rows that say when a reminder or escalation is due.

This table, not the scheduler, is the truth. A process that wakes up claims due rows with
a lease, sends, and marks them sent; if it dies in between, the lease runs out and another
claim picks the rows up again (so a crash resends once rather than never).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.ports import Deadline, DeadlineKind, DeadlineStatus, NewDeadline
from storage import leases
from storage.errors import StoreError
from storage.models import DeadlineRow
from storage.sql import AnyRow, insert

_PENDING = DeadlineStatus.PENDING.value
_CLAIMED = DeadlineStatus.CLAIMED.value
_COLUMNS = (
    DeadlineRow.id,
    DeadlineRow.incident_id,
    DeadlineRow.step_id,
    DeadlineRow.kind,
    DeadlineRow.due_at,
    DeadlineRow.recipient,
    DeadlineRow.status,
    DeadlineRow.sent_at,
    DeadlineRow.late,
    DeadlineRow.attempt,
    DeadlineRow.instead_of,
)


async def add(conn: AsyncConnection, *, incident_id: str, deadlines: Sequence[NewDeadline]) -> None:
    if deadlines:
        await conn.execute(
            insert(conn, DeadlineRow),
            [
                {
                    "incident_id": incident_id,
                    "step_id": d.step_id,
                    "kind": d.kind.value,
                    "due_at": d.due_at,
                    "recipient": d.recipient,
                    "status": _PENDING,
                    "late": False,
                    "attempt": d.attempt,
                    "instead_of": d.instead_of,
                }
                for d in deadlines
            ],
        )


async def cancel(
    conn: AsyncConnection,
    *,
    incident_id: str,
    step_id: str | None,
    recipient: str | None = None,
    kind: DeadlineKind | None = None,
) -> int:
    """Cancel the incident's (or one step's, one kind's) deadlines not yet sent; returns
    how many.

    Claimed rows are cancelled too: a sender that already holds one still sends it (a
    send cannot be recalled), but an expired lease is never claimed again.
    """
    stmt = update(DeadlineRow).where(
        DeadlineRow.incident_id == incident_id,
        DeadlineRow.status.in_((_PENDING, _CLAIMED)),
    )
    if step_id is not None:
        stmt = stmt.where(DeadlineRow.step_id == step_id)
    if recipient is not None:
        stmt = stmt.where(DeadlineRow.recipient == recipient)
    if kind is not None:
        stmt = stmt.where(DeadlineRow.kind == kind.value)
    result = await conn.execute(
        stmt.values(status=DeadlineStatus.CANCELLED.value, lease_until=None)
    )
    return result.rowcount


async def snooze(
    conn: AsyncConnection,
    *,
    incident_id: str,
    step_id: str,
    recipients: Sequence[str],
    until: datetime,
) -> int:
    """Move a step's pending reminders for ``recipients`` that fall before ``until`` to
    ``until``. The step's own deadline is not a row here, so a snooze never moves it."""
    result = await conn.execute(
        update(DeadlineRow)
        .where(
            DeadlineRow.incident_id == incident_id,
            DeadlineRow.step_id == step_id,
            DeadlineRow.status == _PENDING,
            DeadlineRow.recipient.in_(recipients),
            DeadlineRow.due_at < until,
        )
        .values(due_at=until)
    )
    return result.rowcount


async def claim_due(
    conn: AsyncConnection, *, now: datetime, lease_until: datetime, limit: int
) -> list[Deadline]:
    """Take up to ``limit`` due rows (pending, or claimed with an expired lease), oldest
    first, so each is sent once even with two processes (``storage.leases``)."""
    stmt = leases.claim_due(
        DeadlineRow, now=now, lease_until=lease_until, limit=limit, returning=_COLUMNS
    )
    claimed = [_deadline(row) for row in await conn.execute(stmt)]
    return sorted(claimed, key=lambda d: (d.due_at, d.id))


async def mark_sent(
    conn: AsyncConnection,
    *,
    deadline_id: int,
    at: datetime,
    late: bool,
    status: DeadlineStatus = DeadlineStatus.SENT,
) -> None:
    """Record the attempt, whatever the row's state: the message did go out (``SENT``) or
    was refused for someone (``FAILED``; the retries are rows of their own)."""
    result = await conn.execute(
        update(DeadlineRow)
        .where(DeadlineRow.id == deadline_id)
        .values(status=status.value, sent_at=at, late=late, lease_until=None)
    )
    if result.rowcount != 1:
        raise StoreError(f"cannot mark deadline {deadline_id} sent: it does not exist")


async def next_due_at(conn: AsyncConnection) -> datetime | None:
    return await leases.next_due_at(conn, DeadlineRow)


async def get_all(conn: AsyncConnection, *, incident_id: str) -> list[Deadline]:
    stmt = (
        select(*_COLUMNS)
        .where(DeadlineRow.incident_id == incident_id)
        .order_by(DeadlineRow.due_at, DeadlineRow.id)
    )
    return [_deadline(row) for row in await conn.execute(stmt)]


def _deadline(row: AnyRow) -> Deadline:
    return Deadline(
        id=row.id,
        incident_id=row.incident_id,
        step_id=row.step_id,
        kind=DeadlineKind(row.kind),
        due_at=row.due_at,
        recipient=row.recipient,
        status=DeadlineStatus(row.status),
        sent_at=row.sent_at,
        late=row.late,
        attempt=row.attempt,
        instead_of=row.instead_of,
    )
