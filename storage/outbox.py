"""The web chat's message log: replies wait here until the browser polls for them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.ports import OutboxMessage
from storage.models import OutboxRow


async def put(conn: AsyncConnection, *, mailbox: str, payload: dict[str, Any], at: datetime) -> int:
    """Store a message; returns its id, larger than every id stored before it.

    Readers ask for "everything after id N", so ids of one mailbox must become visible in
    id order. On PostgreSQL two transactions could commit their ids out of order and a
    reader would skip the lower one for good; a per-mailbox transaction lock makes the
    second writer take its id only after the first has committed.
    """
    if conn.dialect.name == "postgresql":
        await conn.execute(select(func.pg_advisory_xact_lock(func.hashtext(mailbox))))
    stmt = (
        insert(OutboxRow)
        .values(mailbox=mailbox, payload=payload, created_at=at)
        .returning(OutboxRow.id)
    )
    message_id: int = (await conn.execute(stmt)).scalar_one()
    return message_id


async def read(
    conn: AsyncConnection, *, mailbox: str, after_id: int, limit: int
) -> list[OutboxMessage]:
    """Messages of ``mailbox`` with an id above ``after_id``, in id order."""
    stmt = (
        select(OutboxRow.__table__)
        .where(OutboxRow.mailbox == mailbox, OutboxRow.id > after_id)
        .order_by(OutboxRow.id)
        .limit(limit)
    )
    return [
        OutboxMessage(
            id=row.id, mailbox=row.mailbox, created_at=row.created_at, payload=row.payload
        )
        for row in await conn.execute(stmt)
    ]


async def prune(conn: AsyncConnection, *, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` messages written before ``before``, oldest first; returns how
    many went. Bounded, so one call holds its locks (SQLite: the whole database) briefly."""
    oldest = (
        select(OutboxRow.id)
        .where(OutboxRow.created_at < before)
        .order_by(OutboxRow.created_at)  # the index's order: a range scan, not a table scan
        .limit(limit)
        .scalar_subquery()
    )
    result = await conn.execute(delete(OutboxRow).where(OutboxRow.id.in_(oldest)))
    return int(result.rowcount or 0)
