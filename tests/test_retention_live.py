"""The running server prunes by itself: its scheduler's first pass, at start, deletes the
chat history past CHAT_RETENTION_DAYS, and stopping it mid-run leaves nothing hanging."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from storage import SqlStore
from storage.models import OutboxRow
from tests.harness import running_app


async def _chat_messages(store: SqlStore) -> int:
    async with store.transaction() as tx:
        conn = tx._conn  # read the table itself, not through the code under test
        return int(await conn.scalar(select(func.count()).select_from(OutboxRow)) or 0)


async def test_the_scheduler_prunes_old_chat_history_at_start(database_url: str) -> None:
    env = {"CHAT_RETENTION_DAYS": "30"}
    now = datetime.now(UTC)
    async with running_app(database_url, env=env) as first:  # no scheduler: set the scene
        store = first.runtime.require_store()
        async with store.transaction() as tx:
            for days in (31, 45, 400):
                await tx.put_outbox(
                    mailbox="web:T1:u0", payloads=[{"old": days}], at=now - timedelta(days=days)
                )
            await tx.put_outbox(mailbox="web:T1:u0", payloads=[{"new": 1}], at=now)
        assert await _chat_messages(store) == 4

    async with running_app(database_url, env=env, start_scheduler=True) as second:
        store = second.runtime.require_store()
        # The first pass runs at start; what the test can see of it is the table, so it
        # polls that (a condition with a deadline, not a quiet period).
        async with asyncio.timeout(30):
            while await _chat_messages(store) != 1:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    # Leaving the block stopped the scheduler and closed the store: it did not hang.
