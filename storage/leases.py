"""Rows taken with a lease: deadlines and hand-offs share how they are claimed.

A due row is ``pending`` with ``due_at`` reached, or ``claimed`` by someone whose lease ran
out (they died between taking it and recording it). One statement takes them: ``UPDATE ...
WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED LIMIT n) RETURNING``. On PostgreSQL
concurrent claimers skip each other's rows instead of waiting or taking the same ones; on
SQLite ``SKIP LOCKED`` compiles away and ``BEGIN IMMEDIATE`` runs claimers one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeAlias

from sqlalchemy import Update, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import DeadlineRow, HandoffRow

Leased: TypeAlias = type[DeadlineRow] | type[HandoffRow]
"""The tables whose rows are claimed with a lease."""

PENDING = "pending"
CLAIMED = "claimed"


def claim_due(
    model: Leased, *, now: datetime, lease_until: datetime, limit: int, returning: Sequence[Any]
) -> Update:
    """The statement that takes up to ``limit`` due rows of ``model``, oldest first.
    RETURNING has no defined order: callers sort what it gives."""
    due = (
        select(model.id)
        .where(
            or_(
                and_(model.status == PENDING, model.due_at <= now),
                and_(model.status == CLAIMED, model.lease_until < now),
            )
        )
        .order_by(model.due_at, model.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (
        update(model)
        .where(model.id.in_(due))
        .values(status=CLAIMED, lease_until=lease_until)
        .returning(*returning)
    )


async def next_due_at(conn: AsyncConnection, model: Leased) -> datetime | None:
    """When the next claim could find work: the earliest pending due time or lease end."""
    pending = await conn.scalar(select(func.min(model.due_at)).where(model.status == PENDING))
    lease = await conn.scalar(select(func.min(model.lease_until)).where(model.status == CLAIMED))
    return min((t for t in (pending, lease) if t is not None), default=None)
