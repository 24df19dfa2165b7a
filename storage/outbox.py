"""The web chat's message log: replies wait here until the browser polls for them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.ports import OutboxMessage
from storage.models import OutboxRow


async def put(conn: AsyncConnection, *, mailbox: str, payload: dict[str, Any], at: datetime) -> int:
    """Store a message; returns its id, larger than every id stored before it."""
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
