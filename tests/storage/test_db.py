"""Opening the database, unit-of-work semantics, and UTC times on both databases."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url

from bot.ports import Incident
from storage import SqlStore, StoreError, create_store, db
from tests.databases import POSTGRES_ADMIN_DSN

T0 = datetime(2026, 11, 21, 19, 35, 51, 123456, tzinfo=UTC)


# Opening -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql+aiomysql://noodrem:sekret@db:3306/noodrem", "'mysql+aiomysql'"),
        ("postgresql://noodrem:sekret@db/noodrem", "postgresql+asyncpg://"),
        ("sqlite:///./data/noodrem.db", "sqlite+aiosqlite:///"),
        ("definitely not a url, sekret", "is not a URL"),
        ("sqlite+aiosqlite://", "names no SQLite file"),
        ("sqlite+aiosqlite:///:memory:", "names no SQLite file"),
        ("postgresql+asyncpg://noodrem:sekret@127.0.0.1:1/noodrem", "cannot open database"),
        ("postgresql+asyncpg://noodrem:sekret@127.0.0.1:1/x?password=sekret", "password=***"),
        ("postgresql+asyncpg://noodrem:sekret@127.0.0.1/x?sslmode=require", "'sslmode'"),
    ],
)
async def test_unusable_url_is_one_store_error_without_password(url: str, expected: str) -> None:
    with pytest.raises(StoreError) as caught:
        await create_store(url)
    message = str(caught.value)
    assert expected in message
    assert "sekret" not in message


async def test_unparsable_url_masks_password() -> None:
    with pytest.raises(StoreError) as caught:
        await create_store("postgresql+asyncpg://noodrem:sek@ret@db:port/noodrem")
    assert "sek" not in str(caught.value)
    assert "noodrem:***@db:port" in str(caught.value)


async def test_missing_postgresql_database_says_so() -> None:
    with pytest.raises(StoreError, match="cannot open database") as caught:
        await create_store("postgresql+asyncpg://postgres:sekret@127.0.0.1:5432/noodrem_nope")
    assert "sekret" not in str(caught.value)


async def test_sqlite_path_that_is_a_directory(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"cannot open database .*: unable to open"):
        await create_store(f"sqlite+aiosqlite:///{tmp_path}")
    # aiosqlite stops the worker of a failed connect without waiting for it
    # (omnilib/aiosqlite#389); let it finish while this loop runs, or it reports
    # "Event loop is closed" from its thread after the test.
    for thread in threading.enumerate():
        if "_connection_worker_thread" in thread.name:
            await asyncio.to_thread(thread.join, 5)


async def test_sqlite_directory_that_cannot_be_made(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(StoreError, match="cannot create the directory"):
        await create_store(f"sqlite+aiosqlite:///{tmp_path / 'file' / 'sub' / 'x.db'}")


async def test_sqlite_parent_directory_is_created_and_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "data" / "nested" / "noodrem.db"
    store = await create_store(f"sqlite+aiosqlite:///{path}")
    try:
        await store.create_schema()
    finally:
        await store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


async def test_sqlite_writers_of_a_burst_all_commit_in_the_order_they_came(
    tmp_path: Path,
) -> None:
    """SQLite's own wait for its write lock is a sleep-and-retry, not a queue: in a burst
    the writers got in in any order and the unlucky ones waited past the busy timeout
    ("database is locked"). This process's writers queue for it in order instead."""
    store = await create_store(f"sqlite+aiosqlite:///{tmp_path / 'noodrem.db'}")
    await store.create_schema()
    order: list[int] = []
    first_holds, release = asyncio.Event(), asyncio.Event()

    async def write(i: int) -> None:
        async with store.transaction() as tx:
            await tx.save_address(user_key=f"u{i}", address={"i": i}, at=T0)
            order.append(i)
            if i == 0:
                first_holds.set()
                await release.wait()
            else:
                await asyncio.sleep(0.005)  # a turn's awaits while it holds the lock

    try:
        writers = [asyncio.create_task(write(0))]
        await first_holds.wait()
        for i in range(1, 40):
            writers.append(asyncio.create_task(write(i)))
            for _ in range(5):  # let it get as far as waiting for the lock
                await asyncio.sleep(0)
        release.set()
        await asyncio.gather(*writers)
        assert order == list(range(40))
        async with store.snapshot() as tx:
            assert [await tx.get_address(f"u{i}") for i in (0, 39)] == [{"i": 0}, {"i": 39}]
    finally:
        await store.close()


async def test_sqlite_a_writers_turn_ends_with_its_commit_not_its_connections_return(
    tmp_path: Path,
) -> None:
    """Handing the connection back to the pool waits for no other writer: the next one may
    begin while it goes back."""
    store = await create_store(f"sqlite+aiosqlite:///{tmp_path / 'noodrem.db'}")
    await store.create_schema()
    writers = store._database._sqlite_writers
    assert writers is not None
    held_at_checkin: list[bool] = []
    event.listen(
        store.engine.sync_engine.pool,
        "checkin",
        lambda *_: held_at_checkin.append(writers.locked()),
    )
    try:
        async with store.transaction() as tx:
            await tx.save_address(user_key="u", address={}, at=T0)
        assert held_at_checkin == [False]
    finally:
        await store.close()


async def test_a_connection_back_from_a_snapshot_writes_again(store: SqlStore) -> None:
    """A snapshot cannot write; the pooled connections it used can, after it, each one."""

    async def look() -> None:
        async with store.snapshot() as tx:
            await tx.get_address("u")
            await asyncio.sleep(0.01)  # the others open theirs meanwhile: three connections

    await asyncio.gather(look(), look(), look())
    with pytest.raises(StoreError):
        async with store.snapshot() as tx:
            await tx.save_address(user_key="u", address={}, at=T0)
    for n in range(4):
        async with store.transaction() as tx:
            await tx.save_address(user_key=f"u{n}", address={"n": n}, at=T0)
    async with store.snapshot() as tx:
        assert await tx.get_address("u3") == {"n": 3}


async def _cut_off(database_url: str) -> None:
    """Every server connection to the database ends (a restart, an idle cut)."""
    admin = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=5)
    try:
        cut = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            make_url(database_url).database,
        )
        assert cut >= 1
    finally:
        await admin.close()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_postgresql_an_idle_connection_cut_off_is_replaced_unseen(
    store: SqlStore, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with store.transaction() as tx:
        await tx.save_address(user_key="u", address={"n": 1}, at=T0)
    monkeypatch.setattr(db, "POSTGRESQL_PING_IDLE_S", 0.0)  # idle long enough at once
    await _cut_off(database_url)
    async with store.transaction() as tx:
        assert await tx.get_address("u") == {"n": 1}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_postgresql_a_busy_connection_cut_off_fails_one_unit_and_the_pool_recovers(
    store: SqlStore, database_url: str
) -> None:
    """Not pinged in steady use (three round trips a checkout): the unit that meets the
    dead connection fails as a database error; the next ones get new connections."""
    async with store.transaction() as tx:
        await tx.save_address(user_key="u", address={"n": 1}, at=T0)
    await _cut_off(database_url)
    with pytest.raises(StoreError):
        async with store.transaction() as tx:
            await tx.get_address("u")
    for _ in range(3):
        async with store.transaction() as tx:
            assert await tx.get_address("u") == {"n": 1}


async def test_create_schema_is_idempotent_and_keeps_data(
    store: SqlStore, make_incident: Callable[..., Incident]
) -> None:
    async with store.transaction() as tx:
        await tx.create_incident(make_incident())
    await store.create_schema()
    async with store.transaction() as tx:
        assert await tx.get_incident("inc-1") == make_incident()


# Unit of work ------------------------------------------------------------------------------


async def test_exception_rolls_back_everything_and_passes_unchanged(
    store: SqlStore, make_incident: Callable[..., Incident]
) -> None:
    class Boom(Exception):
        pass

    boom = Boom()
    with pytest.raises(Boom) as caught:
        async with store.transaction() as tx:
            await tx.create_incident(make_incident())
            await tx.append_event(
                incident_id="inc-1", at=T0, actor="a", actor_name="A", kind="k", data={}
            )
            assert await tx.claim_inbound(channel="slack", event_id="Ev1", at=T0)
            await tx.put_outbox(mailbox="m", payloads=[{"text": "hi"}], at=T0)
            raise boom
    assert caught.value is boom
    async with store.transaction() as tx:
        assert await tx.get_incident("inc-1") is None
        assert await tx.claim_inbound(channel="slack", event_id="Ev1", at=T0)
        assert await tx.read_outbox(mailbox="m", after_id=0) == []


async def test_database_error_becomes_store_error_and_rolls_back(
    store: SqlStore, make_incident: Callable[..., Incident]
) -> None:
    with pytest.raises(StoreError, match="database error"):
        async with store.transaction() as tx:
            await tx.save_address(user_key="u", address={"a": 1}, at=T0)
            await tx.create_incident(make_incident())
            await tx.create_incident(make_incident())  # duplicate primary key
    async with store.transaction() as tx:
        assert await tx.get_address("u") is None
        assert await tx.get_incident("inc-1") is None


async def test_a_database_error_names_no_value_of_the_row(
    store: SqlStore, make_incident: Callable[..., Incident]
) -> None:
    """StoreError messages are logged: the reason stays, the statement and its values go."""
    with pytest.raises(StoreError, match="naive") as caught:
        async with store.transaction() as tx:
            await tx.create_incident(
                make_incident(reporter_name="Anna de Vries", reported_at=datetime(2026, 11, 21))
            )
    message = str(caught.value)
    assert "Anna de Vries" not in message and "INSERT" not in message, message


async def test_foreign_keys_are_enforced(store: SqlStore) -> None:
    with pytest.raises(StoreError):
        async with store.transaction() as tx:
            await tx.append_event(
                incident_id="no-such", at=T0, actor="a", actor_name="A", kind="k", data={}
            )


# Times -------------------------------------------------------------------------------------

TIMES = [
    T0,
    T0.replace(microsecond=0),
    T0.replace(microsecond=1),
    T0.replace(microsecond=999_999),
    datetime(2026, 3, 29, 3, 0, 0, 500_001, tzinfo=timezone(timedelta(hours=2))),
    datetime(1999, 12, 31, 23, 59, 59, 999_999, tzinfo=timezone(timedelta(hours=-5))),
]


async def test_times_round_trip_as_aware_utc_with_microseconds(
    store: SqlStore, make_incident: Callable[..., Incident]
) -> None:
    async with store.transaction() as tx:
        for n, at in enumerate(TIMES):
            await tx.create_incident(
                make_incident(f"inc-{n}", reported_at=at, closed_at=at + timedelta(microseconds=7))
            )
    async with store.transaction() as tx:
        stored = [await tx.get_incident(f"inc-{n}") for n in range(len(TIMES))]
        newest_first = [i.reported_at for i in await tx.open_incidents()]
    assert newest_first == sorted(TIMES, reverse=True)  # SQLite compares the stored text
    for at, incident in zip(TIMES, stored, strict=True):
        assert incident is not None
        assert incident.reported_at == at
        assert incident.reported_at.tzinfo is UTC
        assert incident.reported_at.microsecond == at.astimezone(UTC).microsecond
        assert incident.closed_at == at + timedelta(microseconds=7)
        assert incident.closed_at.tzinfo is UTC


async def test_naive_time_is_refused(
    store: SqlStore, make_incident: Callable[..., Incident]
) -> None:
    with pytest.raises(StoreError, match="naive"):
        async with store.transaction() as tx:
            await tx.create_incident(make_incident(reported_at=datetime(2026, 11, 21, 19, 35)))
