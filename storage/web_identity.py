"""Web chat sign-in: pending sign-ins (mail links, OpenID Connect logins) and sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.ports import PendingSignIn, SignInMethod, WebSession
from storage.models import PendingSignInRow, WebSessionRow


async def add_pending(conn: AsyncConnection, *, pending: PendingSignIn) -> None:
    await conn.execute(
        insert(PendingSignInRow).values(
            token_hash=pending.token_hash,
            org_id=pending.org_id,
            method=pending.method.value,
            email=pending.email,
            nonce=pending.nonce,
            code_verifier=pending.code_verifier,
            locale=pending.locale,
            created_at=pending.created_at,
            expires_at=pending.expires_at,
        )
    )


async def take_pending(
    conn: AsyncConnection, *, token_hash: str, now: datetime
) -> PendingSignIn | None:
    # One conditional UPDATE: of two requests with the same token only one changes the row.
    stmt = (
        update(PendingSignInRow)
        .where(
            PendingSignInRow.token_hash == token_hash,
            PendingSignInRow.used_at.is_(None),
            PendingSignInRow.expires_at > now,
        )
        .values(used_at=now)
        .returning(*PendingSignInRow.__table__.columns)
    )
    row = (await conn.execute(stmt)).first()
    if row is None:
        return None
    return PendingSignIn(
        token_hash=row.token_hash,
        org_id=row.org_id,
        method=SignInMethod(row.method),
        created_at=row.created_at,
        expires_at=row.expires_at,
        email=row.email,
        nonce=row.nonce,
        code_verifier=row.code_verifier,
        locale=row.locale,
    )


async def count_mail(conn: AsyncConnection, *, email: str, since: datetime) -> int:
    stmt = select(func.count()).where(
        PendingSignInRow.email == email,
        PendingSignInRow.method == SignInMethod.MAIL.value,
        PendingSignInRow.created_at >= since,
    )
    return int((await conn.execute(stmt)).scalar_one())


async def add_session(conn: AsyncConnection, *, session: WebSession) -> None:
    await conn.execute(
        insert(WebSessionRow).values(
            token_hash=session.token_hash,
            org_id=session.org_id,
            email=session.email,
            name=session.name,
            oid=session.oid,
            method=session.method.value,
            created_at=session.created_at,
            expires_at=session.expires_at,
        )
    )


async def get_session(
    conn: AsyncConnection, *, token_hash: str, now: datetime
) -> WebSession | None:
    row = (
        await conn.execute(
            select(WebSessionRow.__table__).where(
                WebSessionRow.token_hash == token_hash, WebSessionRow.expires_at > now
            )
        )
    ).first()
    if row is None:
        return None
    return WebSession(
        token_hash=row.token_hash,
        org_id=row.org_id,
        email=row.email,
        name=row.name,
        method=SignInMethod(row.method),
        created_at=row.created_at,
        expires_at=row.expires_at,
        oid=row.oid,
    )


async def end_session(conn: AsyncConnection, *, token_hash: str) -> None:
    await conn.execute(delete(WebSessionRow).where(WebSessionRow.token_hash == token_hash))


# Expired rows are deleted by the retention pass (``bot/retention.py``), in bounded batches,
# oldest first along the ``expires_at`` index: never while someone waits for a sign-in.


async def prune_pending(conn: AsyncConnection, *, expired_before: datetime, limit: int) -> int:
    """Delete up to ``limit`` sign-ins (used or not) that expired before ``expired_before``."""
    oldest = (
        select(PendingSignInRow.token_hash)
        .where(PendingSignInRow.expires_at < expired_before)
        .order_by(PendingSignInRow.expires_at)
        .limit(limit)
        .scalar_subquery()
    )
    result = await conn.execute(
        delete(PendingSignInRow).where(PendingSignInRow.token_hash.in_(oldest))
    )
    return int(result.rowcount or 0)


async def prune_sessions(conn: AsyncConnection, *, expired_before: datetime, limit: int) -> int:
    """Delete up to ``limit`` sessions that expired before ``expired_before``."""
    oldest = (
        select(WebSessionRow.token_hash)
        .where(WebSessionRow.expires_at < expired_before)
        .order_by(WebSessionRow.expires_at)
        .limit(limit)
        .scalar_subquery()
    )
    result = await conn.execute(delete(WebSessionRow).where(WebSessionRow.token_hash.in_(oldest)))
    return int(result.rowcount or 0)
