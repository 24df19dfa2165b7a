"""Organisations: each one's config entry as a JSON document, with the version that wrote it.

Storage does not read the documents: ``bot.organisation`` validated them before they came
here and validates them again when it reads them back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.ports import StoredOrganisation
from storage.models import OrganisationRow

# pg_advisory_xact_lock key of the organisation writers ("orgs" in ASCII).
_WRITE_LOCK_KEY = 0x6F726773


async def version(conn: AsyncConnection) -> int:
    stmt = select(func.max(OrganisationRow.version))
    return int((await conn.execute(stmt)).scalar_one_or_none() or 0)


async def stored(conn: AsyncConnection, *, lock: bool = False) -> list[StoredOrganisation]:
    if lock:
        await _lock(conn)
    stmt = (
        select(OrganisationRow)
        .where(OrganisationRow.document.is_not(None))
        .order_by(OrganisationRow.created_version)
    )
    return [
        StoredOrganisation(
            id=row.id, document=row.document, version=row.version, updated_at=row.updated_at
        )
        for row in await conn.execute(stmt)
    ]


async def put(
    conn: AsyncConnection, *, documents: Sequence[tuple[str, dict[str, Any]]], at: datetime
) -> int:
    """Create or replace each one; each row gets its own version, so the order of a new
    file's organisations is kept. Returns the last version written."""
    latest = await _lock(conn)
    existing = {
        row.id: row.document is not None
        for row in await conn.execute(select(OrganisationRow.id, OrganisationRow.document))
    }
    for org_id, document in documents:
        latest += 1
        if org_id in existing:
            values: dict[str, Any] = {"document": document, "version": latest, "updated_at": at}
            if not existing[org_id]:  # removed before: it comes back as a new one, last
                values["created_version"] = latest
            await conn.execute(
                update(OrganisationRow).where(OrganisationRow.id == org_id).values(**values)
            )
        else:
            await conn.execute(
                insert(OrganisationRow).values(
                    id=org_id,
                    document=document,
                    version=latest,
                    created_version=latest,
                    updated_at=at,
                )
            )
        existing[org_id] = True
    return latest


async def seed(
    conn: AsyncConnection, *, documents: Sequence[tuple[str, dict[str, Any]]], at: datetime
) -> bool:
    """Write them only into a table that never had a row (removals leave theirs), under
    the writers' lock: of two replicas starting together on an empty table one seeds."""
    if await _lock(conn) > 0:
        return False
    await put(conn, documents=documents, at=at)
    return True


async def remove(conn: AsyncConnection, *, org_id: str, at: datetime) -> bool:
    latest = await _lock(conn)
    result = await conn.execute(
        update(OrganisationRow)
        .where(OrganisationRow.id == org_id, OrganisationRow.document.is_not(None))
        .values(document=None, version=latest + 1, updated_at=at)
    )
    return bool(result.rowcount)


async def _lock(conn: AsyncConnection) -> int:
    """Serialise the writers (SQLite's ``BEGIN IMMEDIATE`` already does) and return the
    version to build on: two writers reading the same one would both write the next."""
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _WRITE_LOCK_KEY})
    return await version(conn)
