"""Deadlines: claimed once, reclaimed when a lease runs out, never when cancelled."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.ports import Deadline, DeadlineKind, DeadlineStatus, Incident, NewDeadline
from storage import SqlStore, StoreError

T0 = datetime(2026, 11, 21, 19, 35, 51, 123456, tzinfo=UTC)
LEASE = timedelta(minutes=2)


def due(step_id: str, at: datetime, kind: DeadlineKind = DeadlineKind.DUE) -> NewDeadline:
    return NewDeadline(step_id=step_id, kind=kind, due_at=at, recipient="slack:T1:U1")


async def claim(store: SqlStore, now: datetime, limit: int = 100) -> list[Deadline]:
    async with store.transaction() as tx:
        return await tx.claim_due_deadlines(now=now, lease_until=now + LEASE, limit=limit)


@pytest.fixture
async def incident(store: SqlStore, make_incident: Callable[..., Incident]) -> str:
    async with store.transaction() as tx:
        await tx.create_incident(make_incident())
    return "inc-1"


async def test_claim_takes_due_rows_oldest_first_once(store: SqlStore, incident: str) -> None:
    async with store.transaction() as tx:
        assert await tx.next_deadline_at() is None
        await tx.add_deadlines(
            incident,
            [
                due("police-report", T0 + timedelta(hours=1)),
                due("call-bank", T0 + timedelta(minutes=15)),
                due("call-bank", T0 + timedelta(minutes=10), DeadlineKind.REMIND_BEFORE),
                due("ap", T0 + timedelta(hours=72)),
            ],
        )
    async with store.transaction() as tx:
        assert await tx.next_deadline_at() == T0 + timedelta(minutes=10)
    now = T0 + timedelta(hours=1)
    assert await claim(store, T0) == []
    first = await claim(store, now, limit=2)
    assert [(d.step_id, d.kind) for d in first] == [
        ("call-bank", DeadlineKind.REMIND_BEFORE),
        ("call-bank", DeadlineKind.DUE),
    ]
    assert all(d.status is DeadlineStatus.CLAIMED and d.incident_id == incident for d in first)
    second = await claim(store, now)
    assert [d.step_id for d in second] == ["police-report"]  # due_at <= now is due
    assert await claim(store, now) == []
    async with store.transaction() as tx:
        # Claimed rows come back when their lease ends, before the 72 h deadline.
        assert await tx.next_deadline_at() == now + LEASE
        stored = await tx.get_deadlines(incident)
    assert [d.status for d in stored] == [DeadlineStatus.CLAIMED] * 3 + [DeadlineStatus.PENDING]


async def test_expired_lease_is_claimed_again_sent_is_not(store: SqlStore, incident: str) -> None:
    async with store.transaction() as tx:
        await tx.add_deadlines(incident, [due("a", T0), due("b", T0 + timedelta(seconds=1))])
    now = T0 + timedelta(minutes=1)
    a, b = await claim(store, now)
    async with store.transaction() as tx:
        await tx.mark_deadline_sent(b.id, at=now, late=True)
    assert await claim(store, now + LEASE) == []  # lease ends at, not before, now + LEASE
    later = now + LEASE + timedelta(microseconds=1)
    again = await claim(store, later)
    assert [d.id for d in again] == [a.id]
    assert await claim(store, later + LEASE / 2) == []  # a has a new lease
    async with store.transaction() as tx:
        await tx.mark_deadline_sent(a.id, at=later, late=False)
    assert await claim(store, later + timedelta(days=1)) == []
    async with store.transaction() as tx:
        stored = {d.id: d for d in await tx.get_deadlines(incident)}
        assert await tx.next_deadline_at() is None
    assert (stored[a.id].status, stored[a.id].sent_at, stored[a.id].late) == (
        DeadlineStatus.SENT,
        later,
        False,
    )
    assert (stored[b.id].status, stored[b.id].sent_at, stored[b.id].late) == (
        DeadlineStatus.SENT,
        now,
        True,
    )


async def test_cancelled_rows_are_never_claimed(
    store: SqlStore, incident: str, make_incident: Callable[..., Incident]
) -> None:
    async with store.transaction() as tx:
        await tx.create_incident(make_incident("inc-2"))
        await tx.add_deadlines(incident, [due("a", T0), due("a", T0), due("b", T0)])
        await tx.add_deadlines("inc-2", [due("a", T0)])
    claimed = await claim(store, T0, limit=1)
    async with store.transaction() as tx:
        assert await tx.cancel_deadlines(incident_id=incident, step_id="a") == 2
        assert await tx.cancel_deadlines(incident_id=incident, step_id="a") == 0
    assert [d.step_id for d in claimed] == ["a"]
    assert [(d.incident_id, d.step_id) for d in await claim(store, T0 + timedelta(days=1))] == [
        (incident, "b"),
        ("inc-2", "a"),
    ]
    async with store.transaction() as tx:
        await tx.add_deadlines(incident, [due("c", T0)])
        assert await tx.cancel_deadlines(incident_id=incident) == 2  # b (claimed) and c
    # Days later only inc-2's row (its lease ran out) comes back; cancelled ones never do.
    later = T0 + timedelta(days=2)
    assert [d.incident_id for d in await claim(store, later)] == ["inc-2"]
    async with store.transaction() as tx:
        statuses = [d.status for d in await tx.get_deadlines(incident)]
        assert await tx.next_deadline_at() == later + LEASE
    assert statuses == [DeadlineStatus.CANCELLED] * 4


async def test_marking_a_missing_deadline_raises(store: SqlStore) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        async with store.transaction() as tx:
            await tx.mark_deadline_sent(12345, at=T0, late=False)


async def test_concurrent_claimers_get_disjoint_sets_covering_all(
    store: SqlStore, database_url: str, incident: str
) -> None:
    async with store.transaction() as tx:
        await tx.add_deadlines(
            incident, [due(f"s{n}", T0 + timedelta(seconds=n)) for n in range(200)]
        )
    now = T0 + timedelta(hours=1)
    # PostgreSQL: both first claims hold their locked rows at the same time, which only
    # works if each skips the other's rows instead of waiting for them. SQLite's BEGIN
    # IMMEDIATE runs the claims one after the other, so they must not wait for each other.
    both_hold_rows = asyncio.Barrier(2) if database_url.startswith("postgresql") else None

    async def claimer() -> list[int]:
        async with store.transaction() as tx:
            got = await tx.claim_due_deadlines(now=now, lease_until=now + LEASE, limit=60)
            if both_hold_rows is not None:
                await both_hold_rows.wait()
        ids = [d.id for d in got]
        while batch := await claim(store, now, limit=7):
            ids += [d.id for d in batch]
            await asyncio.sleep(0)
        return ids

    async with asyncio.timeout(20):
        first, second = await asyncio.gather(claimer(), claimer())
    async with store.transaction() as tx:
        all_ids = {d.id for d in await tx.get_deadlines(incident)}
    if both_hold_rows is not None:  # SQLite's lock is not fair: one claimer may take all
        assert len(first) >= 60 and len(second) >= 60
    assert not set(first) & set(second)
    assert len(first) + len(second) == 200
    assert set(first) | set(second) == all_ids
