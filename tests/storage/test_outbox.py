"""The web chat outbox: increasing ids, read in order per mailbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.ports import OutboxMessage
from storage import SqlStore

T0 = datetime(2026, 11, 21, 19, 35, 51, 123456, tzinfo=UTC)


async def test_outbox_ids_increase_and_read_in_order(store: SqlStore) -> None:
    ids: list[int] = []
    for n in range(5):
        async with store.transaction() as tx:
            for mailbox in ("web:a", "web:b"):
                at = T0 + timedelta(microseconds=n)
                ids.append(await tx.put_outbox(mailbox=mailbox, payload={"n": n}, at=at))
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
