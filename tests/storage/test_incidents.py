"""Incidents, participants, facts and steps, read back through a new transaction."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from bot.ports import (
    Fact,
    FactStatus,
    Incident,
    IncidentStatus,
    Participant,
    Step,
    StepStatus,
)
from storage import SqlStore, StoreError

T0 = datetime(2026, 11, 21, 19, 35, 51, 123456, tzinfo=UTC)
MakeIncident = Callable[..., Incident]


def step(step_id: str, position: int, **changes: Any) -> Step:
    base = Step(
        incident_id="inc-1",
        step_id=step_id,
        position=position,
        status=StepStatus.OPEN,
        due_at=T0 + timedelta(minutes=15 * position),
        owner="slack:T1:U1",
        plan="paid-fraudster",
    )
    return replace(base, **changes)


async def test_incident_round_trip_and_update(store: SqlStore, make_incident: MakeIncident) -> None:
    async with store.transaction() as tx:
        await tx.create_incident(make_incident())
    async with store.transaction() as tx:
        assert await tx.get_incident("inc-1", lock=True) == make_incident()
        assert await tx.get_incident("nope") is None
        closed = make_incident(
            status=IncidentStatus.CLOSED,
            closed_at=T0 + timedelta(hours=1),
            close_reason="resolved",
            lead="slack:T1:U2",
            conversation={"channel": "slack", "thread": "1.2"},
        )
        await tx.update_incident(closed)
    async with store.transaction() as tx:
        assert await tx.get_incident("inc-1") == closed


async def test_updating_a_missing_incident_raises(
    store: SqlStore, make_incident: MakeIncident
) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        async with store.transaction() as tx:
            await tx.update_incident(make_incident("nope"))


async def test_open_incidents_for_a_participant(
    store: SqlStore, make_incident: MakeIncident
) -> None:
    me, other = "slack:T1:U1", "slack:T1:U9"
    async with store.transaction() as tx:
        for incident_id, tenant, status, minutes, people in [
            ("old", "T1", IncidentStatus.OPEN, 0, [me, other]),
            ("new", "T1", IncidentStatus.OPEN, 5, [me]),
            ("closed", "T1", IncidentStatus.CLOSED, 9, [me]),
            ("not-mine", "T1", IncidentStatus.OPEN, 7, [other]),
            ("other-tenant", "T2", IncidentStatus.OPEN, 8, [me]),
        ]:
            reported = T0 + timedelta(minutes=minutes)
            await tx.create_incident(
                make_incident(
                    incident_id,
                    tenant_id=tenant,
                    org_id={"T1": "acme", "T2": "beta"}[tenant],
                    status=status,
                    reported_at=reported,
                )
            )
            for person in people:
                await tx.add_participant(Participant(incident_id, person, "X", reported))
    async with store.transaction() as tx:
        mine = await tx.open_incidents_for(org_id="acme", user_key=me)
        all_t1 = await tx.open_incidents(org_id="acme")
        everywhere = await tx.open_incidents()
    assert [i.id for i in mine] == ["new", "old"]
    assert [i.id for i in all_t1] == ["not-mine", "new", "old"]
    assert [i.id for i in everywhere] == ["other-tenant", "not-mine", "new", "old"]


async def test_participants_join_once(store: SqlStore, make_incident: MakeIncident) -> None:
    anna = Participant("inc-1", "slack:T1:U1", "Anna", T0)
    bob = Participant("inc-1", "slack:T1:U2", "Bob", T0 + timedelta(seconds=1))
    async with store.transaction() as tx:
        await tx.create_incident(make_incident())
        assert await tx.add_participant(bob)
        assert await tx.add_participant(anna)
    async with store.transaction() as tx:
        assert not await tx.add_participant(
            replace(anna, name="Anna 2", joined_at=T0 + timedelta(hours=1))
        )
        assert await tx.get_participants("inc-1") == [anna, bob]


async def test_facts_are_upserted(store: SqlStore, make_incident: MakeIncident) -> None:
    unknown = Fact("inc-1", "amount", FactStatus.UNKNOWN, None, T0, "slack:T1:U1")
    answered = Fact(
        "inc-1", "amount", FactStatus.ANSWERED, "€ 12.500", T0 + timedelta(hours=1), "slack:T1:U2"
    )
    iban = Fact("inc-1", "iban", FactStatus.ANSWERED, "NL91ABNA0417164300", T0, "slack:T1:U1")
    async with store.transaction() as tx:
        await tx.create_incident(make_incident())
        await tx.set_fact(unknown)
        await tx.set_fact(iban)
    async with store.transaction() as tx:
        assert await tx.get_facts("inc-1") == {"amount": unknown, "iban": iban}
        await tx.set_fact(answered)
    async with store.transaction() as tx:
        assert await tx.get_facts("inc-1") == {"amount": answered, "iban": iban}
        assert await tx.get_facts("other") == {}


async def test_steps_in_order_and_conditional_update(
    store: SqlStore, make_incident: MakeIncident
) -> None:
    steps = [step("police-report", 2), step("call-bank", 1, records={"x": "y"})]
    async with store.transaction() as tx:
        await tx.create_incident(make_incident())
        await tx.add_steps(steps)
    done = replace(
        steps[1],
        status=StepStatus.DONE,
        done_at=T0 + timedelta(minutes=3),
        done_by="slack:T1:U2",
        done_by_name="Bob",
        records={"bank_case_number": "BC-1"},
    )
    async with store.transaction() as tx:
        assert await tx.get_steps("inc-1") == [steps[1], steps[0]]
        assert await tx.update_step(done, expected_version=0)
        assert not await tx.update_step(replace(done, reason="late"), expected_version=0)
    async with store.transaction() as tx:
        assert await tx.get_step("inc-1", "call-bank") == replace(done, version=1)
        assert await tx.get_step("inc-1", "nope") is None
        assert await tx.update_step(replace(done, reason="again"), expected_version=1)
    async with store.transaction() as tx:
        assert await tx.get_step("inc-1", "call-bank") == replace(done, reason="again", version=2)


async def test_concurrent_step_updates_exactly_one_wins(
    store: SqlStore, database_url: str, make_incident: MakeIncident
) -> None:
    async with store.transaction() as tx:
        await tx.create_incident(make_incident())
        await tx.add_steps([step("call-bank", 1)])
    # On PostgreSQL both transactions read version 0 before either writes. SQLite's
    # BEGIN IMMEDIATE cannot overlap them: the second starts when the first committed.
    both_read = asyncio.Barrier(2) if database_url.startswith("postgresql") else None

    async def press_done(who: str) -> bool:
        async with store.transaction() as tx:
            current = await tx.get_step("inc-1", "call-bank")
            assert current is not None
            if both_read is not None:
                await both_read.wait()
            pressed = replace(current, status=StepStatus.DONE, done_by=who)
            return await tx.update_step(pressed, expected_version=0)

    async with asyncio.timeout(10):
        results = await asyncio.gather(press_done("slack:T1:U1"), press_done("slack:T1:U2"))
    assert sorted(results) == [False, True]
    winner = ["slack:T1:U1", "slack:T1:U2"][results.index(True)]
    async with store.transaction() as tx:
        stored = await tx.get_step("inc-1", "call-bank")
    assert stored is not None
    assert (stored.version, stored.status, stored.done_by) == (1, StepStatus.DONE, winner)


async def test_open_incidents_by_page_by_person_and_by_chat(
    store: SqlStore, make_incident: MakeIncident
) -> None:
    """The queries behind the list (a page and a count), a person's incidents and a chat's."""
    async with store.transaction() as tx:
        for n in range(25):
            await tx.create_incident(
                make_incident(
                    f"inc-{n:02d}",
                    reported_at=T0 + timedelta(minutes=n),
                    conversation={
                        "channel": "slack",
                        "tenant_id": "T1",
                        "conversation_id": f"C{n % 3}",
                    },
                )
            )
            if n % 5 == 0:
                await tx.add_participant(
                    Participant(
                        incident_id=f"inc-{n:02d}", user_key="slack:T1:U9", name="Bo", joined_at=T0
                    )
                )
        await tx.create_incident(make_incident("other-tenant", tenant_id="T2", org_id="beta"))
        await tx.create_incident(
            make_incident("closed", status=IncidentStatus.CLOSED, closed_at=T0, close_reason="x")
        )
    async with store.snapshot() as tx:
        second = await tx.open_incidents(org_id="acme", limit=10, offset=10)
        total = await tx.count_open_incidents(org_id="acme")
        bo = await tx.open_incidents_for(org_id="acme", user_key="slack:T1:U9", limit=2, offset=1)
        bo_total = await tx.count_open_incidents(org_id="acme", user_key="slack:T1:U9")
        here = await tx.open_incidents_here(org_id="acme", channel="slack", conversation_id="C1")
        nowhere = await tx.open_incidents_here(org_id="acme", channel="teams", conversation_id="C1")
    assert [i.id for i in second] == [f"inc-{n:02d}" for n in range(14, 4, -1)]  # newest first
    assert total == 25 and bo_total == 5
    assert [i.id for i in bo] == ["inc-15", "inc-10"]
    assert [i.id for i in here] == [f"inc-{n:02d}" for n in range(24, -1, -1) if n % 3 == 1]
    assert nowhere == []  # same conversation id, another platform


async def test_an_incident_without_organisation_is_adopted_once_and_keeps_it(
    store: SqlStore, make_incident: MakeIncident
) -> None:
    """Only incidents with no organisation are listed and adopted; an update of one read
    before its adoption does not undo it."""
    async with store.transaction() as tx:
        await tx.create_incident(make_incident("owned"))
        for n in range(3):
            await tx.create_incident(make_incident(f"old-{n}", org_id=None))
    async with store.transaction() as tx:
        stale = await tx.get_incident("old-0")
        assert [i.id for i in await tx.unowned_incidents()] == ["old-0", "old-1", "old-2"]
        assert await tx.adopt_incidents("acme", ["old-0", "old-1", "owned"]) == 2
        assert await tx.adopt_incidents("beta", ["old-0"]) == 0, "adopted once"
    assert stale is not None and stale.org_id is None
    async with store.transaction() as tx:
        stale.lead = "slack:T1:U2"
        await tx.update_incident(stale)
        assert [i.id for i in await tx.unowned_incidents()] == ["old-2"]
        assert {i.id for i in await tx.open_incidents(org_id="acme")} == {"owned", "old-0", "old-1"}
        kept = await tx.get_incident("old-0")
    assert kept is not None and kept.org_id == "acme" and kept.lead == "slack:T1:U2"


async def test_a_snapshot_cannot_write(store: SqlStore, make_incident: MakeIncident) -> None:
    with pytest.raises(StoreError):
        async with store.snapshot() as tx:
            await tx.create_incident(make_incident())
    async with store.transaction() as tx:
        assert await tx.get_incident("inc-1") is None
        await tx.create_incident(make_incident())  # the pooled connection writes again
    async with store.snapshot() as tx:
        assert await tx.get_incident("inc-1") == make_incident()


class _Selects:
    """Counts the SELECTs the store sends (SQLAlchemy's own cursor event)."""

    def __init__(self, store: SqlStore) -> None:
        self.count = 0
        event.listen(store.engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.count += statement.lstrip().upper().startswith("SELECT")


async def test_a_transaction_reads_an_incident_and_its_facts_once_until_it_writes_them(
    store: SqlStore, make_incident: MakeIncident
) -> None:
    """A turn asks twice (a command, then the question it interrupted): the second answer
    is the first's, as a copy; a write of the transaction, or a locked read after an
    unlocked one, goes to the database again."""
    amount = Fact("inc-1", "amount", FactStatus.ANSWERED, "€ 12.500", T0, "slack:T1:U1")
    async with store.transaction() as tx:
        await tx.create_incident(make_incident(conversation={"channel": "web"}))
        await tx.set_fact(amount)
        await tx.add_participant(Participant("inc-1", "slack:T1:U1", "Anna", T0))
    selects = _Selects(store)
    async with store.transaction() as tx:
        (found,) = await tx.open_incidents_for(org_id="acme", user_key="slack:T1:U1")
        found.lead = "changed by the caller"
        assert await tx.get_incident("inc-1") == make_incident(conversation={"channel": "web"})
        facts = await tx.get_facts("inc-1")
        facts["amount"].value = "changed by the caller"
        facts.clear()
        assert await tx.get_facts("inc-1") == {"amount": amount}
        assert selects.count == 2, "the list read and the facts, once each"

        assert await tx.get_incident("inc-1", lock=True) is not None
        assert await tx.get_incident("inc-1", lock=True) is not None
        assert await tx.get_incident("inc-1") is not None
        assert selects.count == 3, "the locked read once, then served"

        closed = make_incident(status=IncidentStatus.CLOSED, conversation={"channel": "web"})
        await tx.update_incident(closed)
        newer = replace(amount, value="€ 13.000")
        await tx.set_fact(newer)
        assert await tx.get_incident("inc-1") == closed
        assert await tx.get_facts("inc-1") == {"amount": newer}
        assert selects.count == 5, "read again after its writes"
