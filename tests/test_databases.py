"""The test databases handed out again are as new ones: no rows, ids from 1, same schema."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from bot.ports import Incident
from storage import create_store
from tests.databases import POSTGRES_ADMIN_DSN, POSTGRES_DSN, POSTGRES_URL, Databases

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


async def _fill(name: str, make_incident: Callable[..., Incident]) -> int:
    """An incident and an outbox row in ``name``; the outbox row's id."""
    store = await create_store(POSTGRES_URL.format(name=name))
    try:
        async with store.transaction() as tx:
            await tx.create_incident(make_incident())
            (row_id,) = await tx.put_outbox(mailbox="web:T1:u", payloads=[{"n": 1}], at=AT)
            return row_id
    finally:
        await store.close()


async def _count(name: str, table: str) -> int:
    connection = await asyncpg.connect(POSTGRES_DSN.format(name=name))
    try:
        return int(await connection.fetchval(f'SELECT count(*) FROM "{table}"'))
    finally:
        await connection.close()


@pytest.fixture
async def admin() -> AsyncIterator[asyncpg.Connection]:
    """PostgreSQL only: SQLite files are new per test, nothing is reused."""
    try:
        connection = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        message = f"PostgreSQL not reachable at 127.0.0.1:5432: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    yield connection
    await connection.close()


async def test_a_database_at_head_comes_back_empty_with_ids_from_the_start(
    admin: asyncpg.Connection, tmp_path: Path, make_incident: Callable[..., Incident]
) -> None:
    databases = Databases(tmp_path)
    try:
        name = await databases.take(admin, at_head=True)
        first = await _fill(name, make_incident)
        await databases.give_back(admin, name, at_head=True)

        assert await databases.take(admin, at_head=True) == name, "handed out again"
        assert await _count(name, "incidents") == await _count(name, "outbox") == 0
        assert await _fill(name, make_incident) == first, "the outbox ids start over"
    finally:
        await databases.close()


async def test_a_changed_schema_is_dropped_not_handed_out(
    admin: asyncpg.Connection, tmp_path: Path
) -> None:
    databases = Databases(tmp_path)
    try:
        name = await databases.take(admin, at_head=True)
        connection = await asyncpg.connect(POSTGRES_DSN.format(name=name))
        await connection.execute("ALTER TABLE incidents ADD COLUMN extra text")
        await connection.close()
        await databases.give_back(admin, name, at_head=True)

        assert await databases.take(admin, at_head=True) != name
        gone = "SELECT count(*) = 0 FROM pg_database WHERE datname = $1"
        assert await admin.fetchval(gone, name)
    finally:
        await databases.close()


async def test_an_empty_database_comes_back_without_any_table(
    admin: asyncpg.Connection, tmp_path: Path
) -> None:
    databases = Databases(tmp_path)
    try:
        name = await databases.take(admin, at_head=False)
        store = await create_store(POSTGRES_URL.format(name=name))
        await store.create_schema()
        await store.close()
        await databases.give_back(admin, name, at_head=False)

        assert await databases.take(admin, at_head=False) == name
        connection = await asyncpg.connect(POSTGRES_DSN.format(name=name))
        try:
            tables = await connection.fetch(
                "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace"
            )
        finally:
            await connection.close()
        assert tables == []
    finally:
        await databases.close()
