"""Chat-side state: where each person stands in a chat, where they can be reached, where
cards were posted, and which platform events were already handled."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.ports import Conversation
from storage.models import AddressRow, ConversationRow, InboundClaimRow, MessageRefRow
from storage.sql import upsert


async def claim_inbound(
    conn: AsyncConnection, *, keys: Sequence[tuple[str, str]], at: datetime
) -> list[bool]:
    """Insert-if-absent on each (channel, event_id), in one statement; for each key, in
    order, True if this call inserted its row.

    ``ON CONFLICT DO NOTHING`` makes a racing second claim wait for the first and then
    insert nothing, instead of failing; ``RETURNING`` says which of the two happened.
    """
    wanted = list(dict.fromkeys(keys))  # one row per key: a key twice is claimed once
    if not wanted:
        return []
    columns = ("channel", "event_id")
    stmt = upsert(conn, InboundClaimRow, key=columns, returning=columns)
    # The rows as parameters, not in .values(): one INSERT all the same ("insertmanyvalues"),
    # and a statement SQLAlchemy compiles once (one with its rows in it, every time).
    rows = [{"channel": channel, "event_id": event_id, "at": at} for channel, event_id in wanted]
    claimed = {(row.channel, row.event_id) for row in await conn.execute(stmt, rows)}
    first = {key: key in claimed for key in wanted}
    return [first.pop(key, False) for key in keys]


async def prune_inbound_claims(conn: AsyncConnection, *, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` claims made before ``before``; returns how many went.

    An event id re-sent after its claim is gone is handled as new: the de-duplication
    window is the retention (see docs/operations.md).
    """
    oldest = (
        select(InboundClaimRow.channel, InboundClaimRow.event_id)
        .where(InboundClaimRow.at < before)
        .order_by(InboundClaimRow.at)
        .limit(limit)
    )
    key = tuple_(InboundClaimRow.channel, InboundClaimRow.event_id)
    result = await conn.execute(delete(InboundClaimRow).where(key.in_(oldest)))
    return int(result.rowcount or 0)


# The reads of every turn, built once: a statement built per call costs more Python than
# its execution (SQLAlchemy's cache key of a statement object is computed only once).
_CONVERSATION = select(ConversationRow.__table__).where(ConversationRow.key == bindparam("key"))
_CONVERSATION_LOCKED = _CONVERSATION.with_for_update()
_ADDRESS = select(AddressRow.address).where(AddressRow.user_key == bindparam("user_key"))


async def get_conversation(
    conn: AsyncConnection, *, key: str, lock: bool = False
) -> Conversation | None:
    """With ``lock``, two messages of one person at once are handled one after the other
    instead of the second overwriting the first one's state. PostgreSQL: the row is locked
    until the transaction ends (``FOR UPDATE``; a row made idle first when there is none,
    so there is one to lock). SQLite needs neither, and so reads only: its transactions
    write one at a time, and a deferred one whose conversation another writer changed
    since it read cannot write at all (``SqlStore.atomically`` runs it again)."""
    row_lock = lock and conn.dialect.name == "postgresql"
    query = _CONVERSATION_LOCKED if row_lock else _CONVERSATION
    row = (await conn.execute(query, {"key": key})).first()
    if row is None and row_lock:
        idle = {"key": key, "state": {"mode": "idle"}, "version": 0}
        await conn.execute(upsert(conn, ConversationRow, key=("key",)), idle)
        row = (await conn.execute(query, {"key": key})).first()
    if row is None:
        return None
    return Conversation(key=row.key, state=row.state, version=row.version)


async def save_conversation(conn: AsyncConnection, *, conversation: Conversation) -> None:
    stmt = upsert(conn, ConversationRow, key=("key",), update=("state", "version"))
    row = {"key": conversation.key, "state": conversation.state, "version": conversation.version}
    await conn.execute(stmt, row)


async def save_address(
    conn: AsyncConnection, *, user_key: str, address: dict[str, Any], at: datetime
) -> None:
    stmt = upsert(conn, AddressRow, key=("user_key",), update=("address", "updated_at"))
    await conn.execute(stmt, {"user_key": user_key, "address": address, "updated_at": at})


async def get_address(conn: AsyncConnection, *, user_key: str) -> dict[str, Any] | None:
    address: dict[str, Any] | None = await conn.scalar(_ADDRESS, {"user_key": user_key})
    return address


async def save_message_ref(
    conn: AsyncConnection, *, key: str, ref: dict[str, Any], at: datetime
) -> None:
    stmt = upsert(conn, MessageRefRow, key=("key",), update=("ref", "updated_at"))
    await conn.execute(stmt, {"key": key, "ref": ref, "updated_at": at})


async def get_message_ref(conn: AsyncConnection, *, key: str) -> dict[str, Any] | None:
    ref: dict[str, Any] | None = await conn.scalar(
        select(MessageRefRow.ref).where(MessageRefRow.key == key)
    )
    return ref
