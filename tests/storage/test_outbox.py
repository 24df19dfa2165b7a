"""The web chat outbox: increasing ids, read in order per mailbox, none skipped."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.ports import OutboxMessage
from storage import SqlStore
from storage.listen import OutboxListener

T0 = datetime(2026, 11, 21, 19, 35, 51, 123456, tzinfo=UTC)


async def test_outbox_ids_increase_and_read_in_order(store: SqlStore) -> None:
    ids: list[int] = []
    for n in range(5):
        async with store.transaction() as tx:
            for mailbox in ("web:a", "web:b"):
                at = T0 + timedelta(microseconds=n)
                ids += await tx.put_outbox(mailbox=mailbox, payloads=[{"n": n}], at=at)
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    async with store.transaction() as tx:
        everything = await tx.read_outbox(mailbox="web:a", after_id=0)
        after_second = await tx.read_outbox(mailbox="web:a", after_id=everything[1].id)
        limited = await tx.read_outbox(mailbox="web:a", after_id=0, limit=2)
        nothing = await tx.read_outbox(mailbox="web:c", after_id=0)
    assert everything == [
        OutboxMessage(
            id=ids[2 * n],
            mailbox="web:a",
            created_at=T0 + timedelta(microseconds=n),
            payload={"n": n},
        )
        for n in range(5)
    ]
    assert after_second == everything[2:]
    assert limited == everything[:2]
    assert nothing == []


async def test_several_messages_in_one_write_keep_their_order(store: SqlStore) -> None:
    """One statement writes them all (a turn's answer): ids in the order given, above the
    ids before, and read back in that order; nothing to write writes nothing."""
    async with store.transaction() as tx:
        (before,) = await tx.put_outbox(mailbox="web:a", payloads=[{"n": -1}], at=T0)
        ids = await tx.put_outbox(mailbox="web:a", payloads=[{"n": n} for n in range(5)], at=T0)
        assert await tx.put_outbox(mailbox="web:b", payloads=[], at=T0) == []
    assert len(ids) == 5
    assert ids == sorted(ids)
    assert ids[0] > before
    async with store.snapshot() as tx:
        rows = await tx.read_outbox(mailbox="web:a", after_id=before)
        assert await tx.read_outbox(mailbox="web:b", after_id=0) == []
    assert [(row.id, row.payload) for row in rows] == [(i, {"n": n}) for n, i in enumerate(ids)]


async def _blocked_or_done(store: SqlStore, writer: asyncio.Task[None]) -> None:
    """Until ``writer`` waits for a lock, or has got through without one."""
    if store.engine.dialect.name != "postgresql":
        # SQLite shows no lock waits; a writer that could get through gets this long.
        await asyncio.wait({writer}, timeout=0.2)
        return
    waiting = text("SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = 'advisory'")
    async with asyncio.timeout(5):
        while not writer.done():
            async with store.engine.connect() as conn:
                if (await conn.execute(waiting)).scalar_one():
                    return
            await asyncio.sleep(0.01)


async def test_a_poller_gets_both_messages_of_two_writers_at_once(store: SqlStore) -> None:
    """The first writer takes an id and has not committed when the second writes: were the
    second's (higher) id visible first, a poller moving its cursor past it would never see
    the first's. The second must wait until the first has committed."""
    mailbox = "web:t:anna"
    seen: list[int] = []

    async def poll() -> None:
        async with store.snapshot() as tx:
            rows = await tx.read_outbox(mailbox=mailbox, after_id=seen[-1] if seen else 0)
        seen.extend(row.id for row in rows)

    holding, release = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with store.transaction() as tx:
            await tx.put_outbox(mailbox=mailbox, payloads=[{"n": 1}], at=T0)
            holding.set()
            await release.wait()

    async def second() -> None:
        async with store.transaction() as tx:
            await tx.put_outbox(mailbox=mailbox, payloads=[{"n": 2}], at=T0)

    one = asyncio.create_task(first())
    await holding.wait()
    two = asyncio.create_task(second())
    await _blocked_or_done(store, two)
    await poll()
    release.set()
    await one
    await poll()
    await two
    await poll()

    assert len(seen) == 2, f"the poller saw ids {seen}"
    async with store.snapshot() as tx:
        assert [m.payload for m in await tx.read_outbox(mailbox=mailbox, after_id=0)] == [
            {"n": 1},
            {"n": 2},
        ]


async def test_a_listener_that_cannot_connect_says_so_and_keeps_trying() -> None:
    """The first poll starts the listener and waits for it: a refused connection must not
    hold that poll, only leave the listener not live (the poll then reads by itself)."""
    refused = create_async_engine("postgresql+asyncpg://postgres@127.0.0.1:1/none")
    listener = OutboxListener(refused, lambda _mailbox: None)
    try:
        async with asyncio.timeout(5):
            await listener.start()
        assert not listener.live
    finally:
        await listener.close()
        await refused.dispose()
