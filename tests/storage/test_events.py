"""The timeline: a hash chain that recomputes from what was stored."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot import chain
from bot.ports import Event, Incident
from storage import SqlStore

T0 = datetime(2026, 11, 21, 19, 35, 51, 123456, tzinfo=UTC)


def assert_valid_chain(events: list[Event], incident_id: str) -> None:
    """What a verifier does: seq 1..n, each linked to the previous, each hash recomputed."""
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    prev = chain.GENESIS
    for e in events:
        assert e.incident_id == incident_id
        assert e.prev_hash == prev
        assert e.hash == chain.event_hash(
            incident_id=e.incident_id,
            seq=e.seq,
            at=e.at,
            actor=e.actor,
            actor_name=e.actor_name,
            kind=e.kind,
            data=e.data,
            prev_hash=e.prev_hash,
        )
        prev = e.hash


async def test_events_form_a_hash_chain(
    store: SqlStore, make_incident: Callable[..., Incident]
) -> None:
    payloads = [
        {"amount": "€ 12.500", "nested": {"z": 1, "a": [1.5, None, True]}},
        {"step": "call-bank", "records": {"bank_case_number": "BC-1"}},
        {},
    ]
    async with store.transaction() as tx:
        await tx.create_incident(make_incident())
        await tx.create_incident(make_incident("inc-2"))
        await tx.append_event(
            incident_id="inc-2", at=T0, actor="noodrem", actor_name="Noodrem", kind="x", data={}
        )
        appended = [
            await tx.append_event(
                incident_id="inc-1",
                at=T0 + timedelta(microseconds=n),
                actor="slack:T1:U1",
                actor_name="Élise",
                kind=f"kind.{n}",
                data=data,
            )
            for n, data in enumerate(payloads)
        ]
    async with store.transaction() as tx:
        stored = await tx.get_events("inc-1")
        other = await tx.get_events("inc-2")
    assert stored == appended
    assert [e.data for e in stored] == payloads
    assert [e.at for e in stored] == [T0 + timedelta(microseconds=n) for n in range(3)]
    assert all(e.at.tzinfo is UTC for e in stored)
    assert_valid_chain(stored, "inc-1")
    assert_valid_chain(other, "inc-2")


async def test_data_is_stored_as_json_reads_it_back(
    store: SqlStore, make_incident: Callable[..., Incident]
) -> None:
    async with store.transaction() as tx:
        await tx.create_incident(make_incident())
        event = await tx.append_event(
            incident_id="inc-1", at=T0, actor="a", actor_name="A", kind="k", data={"t": (1, 2)}
        )
    assert event.data == {"t": [1, 2]}
    async with store.transaction() as tx:
        assert await tx.get_events("inc-1") == [event]


async def test_non_json_data_is_refused_and_nothing_written(
    store: SqlStore, make_incident: Callable[..., Incident]
) -> None:
    async with store.transaction() as tx:
        await tx.create_incident(make_incident())
    with pytest.raises(TypeError):
        async with store.transaction() as tx:
            await tx.append_event(
                incident_id="inc-1", at=T0, actor="a", actor_name="A", kind="k", data={"s": {1}}
            )
    async with store.transaction() as tx:
        assert await tx.get_events("inc-1") == []


async def test_concurrent_writers_holding_the_lock_keep_the_chain_intact(
    store: SqlStore, make_incident: Callable[..., Incident]
) -> None:
    """Read-then-write transactions in parallel: on SQLite a deferred BEGIN would make
    them fail with "database is locked"; on PostgreSQL, without the row lock, they
    would collide on (incident_id, seq)."""
    async with store.transaction() as tx:
        await tx.create_incident(make_incident())

    async def record(n: int) -> None:
        async with store.transaction() as tx:
            assert await tx.get_incident("inc-1", lock=True) is not None
            await tx.append_event(
                incident_id="inc-1", at=T0, actor="a", actor_name="A", kind="k", data={"n": n}
            )

    async with asyncio.timeout(20):
        await asyncio.gather(*(record(n) for n in range(8)))
    async with store.transaction() as tx:
        stored = await tx.get_events("inc-1")
    assert sorted(e.data["n"] for e in stored) == list(range(8))
    assert_valid_chain(stored, "inc-1")


async def test_latest_events_are_the_last_ones_in_order(
    store: SqlStore, make_incident: Callable[..., Incident]
) -> None:
    async with store.transaction() as tx:
        await tx.create_incident(make_incident())
        for n in range(40):
            await tx.append_event(
                incident_id="inc-1",
                at=T0 + timedelta(seconds=n),
                actor="slack:T1:U1",
                actor_name="Anna",
                kind="step_blocked",
                data={"n": n},
            )
    async with store.snapshot() as tx:
        latest = await tx.latest_events("inc-1", limit=30)
        everything = await tx.get_events("inc-1")
        none = await tx.latest_events("nope", limit=30)
    assert latest == everything[-30:] and latest[-1].seq == 40
    assert none == []
