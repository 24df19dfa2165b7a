"""The web chat's message log: replies wait here until the browser polls for them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, bindparam, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.ports import OutboxMessage
from storage import listen
from storage.models import OutboxRow

# Built once: every web chat message writes, and every poll reads, and building a
# statement cost more Python than running it.
# Typed as the literals they stand for were: the same SQL, the same casts on PostgreSQL.
_MAILBOX = bindparam("mailbox", type_=String)
_MAILBOX_LOCK = select(
    func.pg_advisory_xact_lock(func.hashtext(_MAILBOX)), func.pg_notify(listen.CHANNEL, _MAILBOX)
)
_PUT = insert(OutboxRow).returning(OutboxRow.id)
_READ = (
    select(OutboxRow.__table__)
    .where(OutboxRow.mailbox == bindparam("mailbox"), OutboxRow.id > bindparam("after_id"))
    .order_by(OutboxRow.id)
    .limit(bindparam("limit", type_=Integer))
)


async def put(
    conn: AsyncConnection,
    *,
    mailbox: str,
    payloads: Sequence[dict[str, Any]],
    at: datetime,
    lock: bool = True,
) -> list[int]:
    """Store messages, in order, in one statement; returns their ids, in the same order,
    each above every id of this mailbox any reader can see now or later, so a reader that
    asks for "everything after id N" never skips one.

    Ids come from one counter for all mailboxes, so that needs this mailbox's writers to
    take their ids one at a time, each only after the one before has committed or rolled
    back: otherwise two transactions could commit out of id order and a reader would pass
    the lower id before it was visible, for good. SQLite's write lock (``BEGIN IMMEDIATE``)
    already does that for the whole database; on PostgreSQL a per-mailbox transaction lock
    does, for every process alike, and the same statement queues the ``NOTIFY`` that wakes
    pollers on every replica once this transaction commits (``storage.listen``). ``lock``
    false: this transaction took both for this mailbox already (one NOTIFY is enough).
    """
    if not payloads:
        return []
    if lock and conn.dialect.name == "postgresql":
        await conn.execute(_MAILBOX_LOCK, {"mailbox": mailbox})
    # One INSERT ... VALUES of all rows (SQLAlchemy's "insertmanyvalues"). Both databases
    # number the rows as they take them from VALUES, in order, but neither promises the
    # order of RETURNING: sorted, the ids are those of ``payloads`` in order. (Asking
    # SQLAlchemy to keep the order would run one INSERT per row on SQLite.)
    rows = [{"mailbox": mailbox, "payload": payload, "created_at": at} for payload in payloads]
    return sorted((await conn.execute(_PUT, rows)).scalars())


async def read(
    conn: AsyncConnection, *, mailbox: str, after_id: int, limit: int
) -> list[OutboxMessage]:
    """Messages of ``mailbox`` with an id above ``after_id``, in id order."""
    where = {"mailbox": mailbox, "after_id": after_id, "limit": limit}
    return [
        OutboxMessage(
            id=row.id, mailbox=row.mailbox, created_at=row.created_at, payload=row.payload
        )
        for row in await conn.execute(_READ, where)
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
