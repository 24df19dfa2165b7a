"""Files behind signed download links: written once, read until they expire."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.ports import StoredFile
from storage.models import FileRow


async def put(conn: AsyncConnection, *, file: StoredFile) -> None:
    # Expired files go when a new one comes: no separate clean-up job to forget.
    await conn.execute(delete(FileRow).where(FileRow.expires_at < file.created_at))
    await conn.execute(
        insert(FileRow).values(
            id=file.id,
            filename=file.filename,
            content_type=file.content_type,
            data=file.data,
            owner=file.owner,
            created_at=file.created_at,
            expires_at=file.expires_at,
        )
    )


async def get(conn: AsyncConnection, *, file_id: str, now: datetime) -> StoredFile | None:
    row = (
        await conn.execute(
            select(FileRow.__table__).where(FileRow.id == file_id, FileRow.expires_at > now)
        )
    ).first()
    if row is None:
        return None
    return StoredFile(
        id=row.id,
        filename=row.filename,
        content_type=row.content_type,
        data=row.data,
        owner=row.owner,
        created_at=row.created_at,
        expires_at=row.expires_at,
    )
