"""Conversation state, addresses, and de-duplication of platform events."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event

from bot.ports import Conversation
from storage import SqlStore

T0 = datetime(2026, 11, 21, 19, 35, 51, 123456, tzinfo=UTC)


async def test_claim_inbound_once_per_channel_and_event(store: SqlStore) -> None:
    async with store.transaction() as tx:
        assert await tx.claim_inbound(channel="slack", event_id="Ev1", at=T0)
    async with store.transaction() as tx:
        assert not await tx.claim_inbound(channel="slack", event_id="Ev1", at=T0)
        assert await tx.claim_inbound(channel="teams", event_id="Ev1", at=T0)
        assert await tx.claim_inbound(channel="slack", event_id="Ev2", at=T0)


async def test_several_claims_in_one_statement_say_each_whether_it_was_new(
    store: SqlStore,
) -> None:
    async with store.transaction() as tx:
        assert await tx.claim_inbound(channel="web-history", event_id="m:c1", at=T0)
    async with store.transaction() as tx:
        keys = [("web", "c1"), ("web-history", "m:c1"), ("web", "c1"), ("web", "c2")]
        assert await tx.claim_inbounds(keys, at=T0) == [True, False, False, True]
        assert await tx.claim_inbounds([], at=T0) == []
    async with store.transaction() as tx:
        assert await tx.claim_inbounds([("web", "c1"), ("web", "c3")], at=T0) == [False, True]


async def test_claims_are_one_statement_compiled_once(store: SqlStore) -> None:
    """Every web message claims two keys: SQLAlchemy must not compile that INSERT anew
    each time (it does for rows given in ``.values()``)."""
    compiled: list[object] = []

    def seen(_conn: Any, _cursor: Any, statement: str, _p: Any, context: Any, _m: Any) -> None:
        if statement.startswith("INSERT INTO inbound_claims"):
            compiled.append(context.compiled)

    event.listen(store.engine.sync_engine, "before_cursor_execute", seen)
    for n in range(2):
        async with store.transaction() as tx:
            await tx.claim_inbounds([("web", f"c{n}"), ("web-history", f"m:c{n}")], at=T0)
    assert len(compiled) == 2 and compiled[0] is compiled[1]


async def test_concurrent_claims_exactly_one_wins(store: SqlStore, database_url: str) -> None:
    # PostgreSQL: both transactions are open when both insert. SQLite: BEGIN IMMEDIATE
    # queues the second transaction behind the first, so they cannot overlap there.
    both_open = asyncio.Barrier(2) if database_url.startswith("postgresql") else None

    async def claim() -> bool:
        async with store.transaction() as tx:
            if both_open is not None:
                await both_open.wait()
            return await tx.claim_inbound(channel="slack", event_id="Ev1", at=T0)

    async with asyncio.timeout(10):
        results = await asyncio.gather(claim(), claim())
    assert sorted(results) == [False, True]


async def test_conversation_upsert(store: SqlStore) -> None:
    first = Conversation("slack:T1:C1:U1", {"awaiting": {"fact": "amount"}}, version=1)
    second = Conversation("slack:T1:C1:U1", {"awaiting": None, "lang": "nl"}, version=2)
    async with store.transaction() as tx:
        assert await tx.get_conversation(first.key) is None
        await tx.save_conversation(first)
    async with store.transaction() as tx:
        assert await tx.get_conversation(first.key) == first
        await tx.save_conversation(second)
    async with store.transaction() as tx:
        assert await tx.get_conversation(first.key) == second


async def test_address_upsert(store: SqlStore) -> None:
    async with store.transaction() as tx:
        assert await tx.get_address("slack:T1:U1") is None
        await tx.save_address(user_key="slack:T1:U1", address={"conversation_id": "C1"}, at=T0)
        await tx.save_address(user_key="slack:T1:U2", address={"conversation_id": "D2"}, at=T0)
    async with store.transaction() as tx:
        assert await tx.get_address("slack:T1:U1") == {"conversation_id": "C1"}
        await tx.save_address(
            user_key="slack:T1:U1",
            address={"conversation_id": "C9", "reference": {"x": [1]}},
            at=T0 + timedelta(minutes=1),
        )
    async with store.transaction() as tx:
        assert await tx.get_address("slack:T1:U1") == {
            "conversation_id": "C9",
            "reference": {"x": [1]},
        }
        assert await tx.get_address("slack:T1:U2") == {"conversation_id": "D2"}


async def test_message_ref_upsert(store: SqlStore) -> None:
    key = "slack:checklist:inc-1"
    async with store.transaction() as tx:
        assert await tx.get_message_ref(key) is None
        await tx.save_message_ref(key=key, ref={"channel": "C1", "ts": "1.1"}, at=T0)
    async with store.transaction() as tx:
        assert await tx.get_message_ref(key) == {"channel": "C1", "ts": "1.1"}
        await tx.save_message_ref(key=key, ref={"channel": "C1", "ts": "2.2"}, at=T0)
    async with store.transaction() as tx:
        assert await tx.get_message_ref(key) == {"channel": "C1", "ts": "2.2"}
