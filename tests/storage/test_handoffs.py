"""The hand-off outbox: rows start claimed by the turn that wrote them, are taken again
when that lease runs out (a crash), wait for their next try, and are acknowledged once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.ports import (
    DeadlineStatus,
    HandoffMessage,
    HandoffStatus,
    Incident,
    NewHandoff,
    Transport,
)
from storage import SqlStore, StoreError, leases

T0 = datetime(2026, 11, 21, 19, 35, 51, 123456, tzinfo=UTC)
LEASE = timedelta(minutes=2)
CONTENT = {"incident_id": "inc-1", "facts": [{"id": "amount", "value": "12500.00 EUR"}]}


async def claim(store: SqlStore, now: datetime) -> list[HandoffMessage]:
    async with store.transaction() as tx:
        return await tx.claim_due_handoffs(now=now, lease_until=now + LEASE, limit=10)


@pytest.fixture
async def written(store: SqlStore, make_incident: Callable[..., Incident]) -> list[int]:
    async with store.transaction() as tx:
        await tx.create_incident(make_incident())
        return await tx.add_handoffs(
            "inc-1",
            [
                NewHandoff("alert-it", Transport.MAIL, "support@it.example", CONTENT),
                NewHandoff("alert-it", Transport.WEBHOOK, "https://it.example/hook", CONTENT),
            ],
            at=T0,
            lease_until=T0 + LEASE,
        )


async def test_written_rows_are_the_writers_until_the_lease_runs_out(
    store: SqlStore, written: list[int]
) -> None:
    mail, hook = written
    assert hook > mail
    assert await claim(store, T0 + timedelta(minutes=1)) == []  # the turn is sending them
    async with store.transaction() as tx:
        assert await tx.next_handoff_at() == T0 + LEASE
        [stored, _] = await tx.get_handoffs("inc-1")
    assert (stored.status, stored.attempts, stored.content) == (
        HandoffStatus.CLAIMED,
        0,
        CONTENT,
    )
    # The writer died before recording a try: after the lease another claim takes both.
    later = T0 + LEASE + timedelta(seconds=1)
    taken = await claim(store, later)
    assert [m.id for m in taken] == [mail, hook]
    assert await claim(store, later) == []


async def test_a_failed_try_waits_for_its_next_time_and_delivery_closes_it(
    store: SqlStore, written: list[int]
) -> None:
    mail, hook = written
    retry_at = T0 + timedelta(minutes=1)
    async with store.transaction() as tx:
        await tx.record_handoff_try(
            mail, status=HandoffStatus.PENDING, attempts=1, at=T0, due_at=retry_at, error="x"
        )
        await tx.record_handoff_try(
            hook, status=HandoffStatus.DELIVERED, attempts=1, at=T0, due_at=T0, error=None
        )
        assert await tx.next_handoff_at() == retry_at
    assert await claim(store, retry_at - timedelta(microseconds=1)) == []
    [again] = await claim(store, retry_at)
    assert (again.id, again.attempts, again.error) == (mail, 1, "x")
    async with store.transaction() as tx:
        delivered = await tx.get_handoff(hook)
    assert delivered is not None and delivered.delivered_at == T0
    assert delivered.status is HandoffStatus.DELIVERED


async def test_an_acknowledgement_is_stored_once(store: SqlStore, written: list[int]) -> None:
    mail, _ = written
    async with store.transaction() as tx:
        assert await tx.acknowledge_handoff(mail, at=T0 + timedelta(minutes=8)) is True
        assert await tx.acknowledge_handoff(mail, at=T0 + timedelta(minutes=9)) is False
        stored = await tx.get_handoff(mail)
        assert await tx.get_handoff(999) is None
    assert stored is not None and stored.acknowledged_at == T0 + timedelta(minutes=8)


async def test_two_claimers_never_take_the_same_row(store: SqlStore, written: list[int]) -> None:
    later = T0 + LEASE + timedelta(seconds=1)
    first, second = await asyncio.gather(claim(store, later), claim(store, later))
    assert sorted(m.id for m in first + second) == sorted(written)


async def test_recording_a_try_of_a_missing_row_is_an_error(store: SqlStore) -> None:
    with pytest.raises(StoreError, match="hand-off 42"):
        async with store.transaction() as tx:
            await tx.record_handoff_try(
                42, status=HandoffStatus.FAILED, attempts=1, at=T0, due_at=T0, error=None
            )


def test_both_leased_tables_spell_their_states_as_the_claim_does() -> None:
    """``storage.leases`` claims deadlines and hand-offs with the same two words."""
    assert {leases.PENDING, leases.CLAIMED} == {
        DeadlineStatus.PENDING.value,
        DeadlineStatus.CLAIMED.value,
    }
    assert {leases.PENDING, leases.CLAIMED} == {
        HandoffStatus.PENDING.value,
        HandoffStatus.CLAIMED.value,
    }
