"""The databases ``database_url`` hands out: made once a session, emptied between tests.

Creating a PostgreSQL database is cheap, dropping one is not: every ``DROP DATABASE``
makes the server write a checkpoint, seconds on a busy machine, once per test. So a
database a test is done with is emptied and handed to the next test instead, and only
dropped at the end of the session. It goes back empty only when it is provably as a new
one would be; otherwise it is dropped as before:

- an empty one (no schema) loses its ``public`` schema with everything in it, and must have
  no other schema;
- one at the newest schema (``schema_at_head``, a copy of a template migrated once) has
  every row deleted and every sequence restarted, and its schema (tables, columns,
  indexes, constraints, sequences, functions, triggers, the Alembic revision) must still
  be the template's to the byte.

Connections a test left open are ended first, as ``DROP DATABASE ... WITH (FORCE)`` did.
SQLite files are new per test (``tmp_path``): a copy of a migrated file for
``schema_at_head``.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import asyncpg

from storage import create_store

POSTGRES_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"
POSTGRES_DSN = "postgresql://postgres@127.0.0.1:5432/{name}"
POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"

# Everything that makes up a schema, as one text: two databases with the same one are the
# same to the app. Ordered, so the text does not depend on the catalogue's order.
_SHAPE = r"""
SELECT coalesce(string_agg(part, E'\n' ORDER BY part), '') FROM (
    SELECT 'schema ' || nspname AS part FROM pg_namespace
        WHERE nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema'
    UNION ALL
    SELECT format('column %s.%s %s %s %s', table_name, column_name, data_type, is_nullable,
                  coalesce(column_default, '')) FROM information_schema.columns
        WHERE table_schema = 'public'
    UNION ALL
    SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
    UNION ALL
    SELECT format('constraint %s %s %s', conrelid::regclass, conname,
                  pg_get_constraintdef(oid)) FROM pg_constraint
        WHERE connamespace = 'public'::regnamespace
    UNION ALL
    SELECT 'sequence ' || sequence_name FROM information_schema.sequences
        WHERE sequence_schema = 'public'
    UNION ALL
    SELECT 'function ' || oid::regprocedure FROM pg_proc
        WHERE pronamespace = 'public'::regnamespace
    UNION ALL
    SELECT format('trigger %s %s', tgrelid::regclass, tgname) FROM pg_trigger
        WHERE NOT tgisinternal
    UNION ALL
    SELECT format('relation %s %s', relname, relkind) FROM pg_class
        WHERE relnamespace = 'public'::regnamespace
) AS parts
"""
_TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
_SEQUENCES = (
    "SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = 'public'"
)
_REVISION = "SELECT array_agg(version_num ORDER BY version_num) FROM alembic_version"


class Databases:
    """The session's databases; ``at_head`` picks empty or at the newest schema."""

    def __init__(self, scratch: Path) -> None:
        self._scratch = scratch
        self._sqlite_template: Path | None = None
        self._template: str | None = None  # PostgreSQL, a database name unique to this run
        self._template_shape = ""
        self._template_revision: list[str] | None = None
        self._empty_shape: str | None = None  # of a database new from template1
        self._free: dict[bool, list[str]] = {False: [], True: []}
        self._made: set[str] = set()

    async def sqlite(self, target: Path, *, at_head: bool) -> str:
        """The URL of a new SQLite file at ``target``."""
        if at_head:
            if self._sqlite_template is None:
                made = self._scratch / "noodrem.db"
                await _migrate(f"sqlite+aiosqlite:///{made}")  # closed: its WAL folded in
                self._sqlite_template = made
            shutil.copyfile(self._sqlite_template, target)
        return f"sqlite+aiosqlite:///{target}"

    async def take(self, admin: asyncpg.Connection, *, at_head: bool) -> str:
        """The name of a PostgreSQL database of the kind asked for, used by no one now."""
        free = self._free[at_head]
        if free:
            return free.pop()
        template = await self._template_name(admin) if at_head else "template1"
        name = f"noodrem_t_{uuid.uuid4().hex[:12]}"
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        self._made.add(name)
        if not at_head and self._empty_shape is None:
            self._empty_shape = await _shape(name)
        return name

    async def give_back(self, admin: asyncpg.Connection, name: str, *, at_head: bool) -> None:
        """Empty ``name`` for the next test, or drop it when it cannot be made as new."""
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
        try:
            connection = await asyncpg.connect(POSTGRES_DSN.format(name=name), timeout=10)
        except asyncpg.InvalidCatalogNameError:  # the test dropped it
            self._made.discard(name)
            return
        try:
            emptied = await (self._empty_at_head if at_head else self._empty)(connection)
        except asyncpg.PostgresError:  # whatever the test left, a new one is sure
            emptied = False
        finally:
            await connection.close()
        if emptied:
            self._free[at_head].append(name)
        else:
            await self._drop(admin, name)

    async def close(self) -> None:
        """Drop every PostgreSQL database this session made."""
        if not self._made and self._template is None:
            return
        admin = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=10)
        try:
            for name in sorted(self._made):
                await self._drop(admin, name)
            if self._template is not None:
                await admin.execute(f'DROP DATABASE IF EXISTS "{self._template}" WITH (FORCE)')
        finally:
            await admin.close()

    async def _drop(self, admin: asyncpg.Connection, name: str) -> None:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._made.discard(name)

    async def _template_name(self, admin: asyncpg.Connection) -> str:
        if self._template is None:
            name = f"noodrem_tpl_{uuid.uuid4().hex[:12]}"
            await admin.execute(f'CREATE DATABASE "{name}"')
            await _migrate(POSTGRES_URL.format(name=name))
            connection = await asyncpg.connect(POSTGRES_DSN.format(name=name), timeout=10)
            try:
                self._template_shape = await connection.fetchval(_SHAPE)
                self._template_revision = await connection.fetchval(_REVISION)
            finally:
                await connection.close()  # a template may have no one connected
            self._template = name
        return self._template

    async def _empty_at_head(self, connection: asyncpg.Connection) -> bool:
        """Every row gone, every sequence restarted, and the template's schema."""
        if await connection.fetchval(_SHAPE) != self._template_shape:
            return False
        tables = [row[0] for row in await connection.fetch(_TABLES) if row[0] != "alembic_version"]
        sequences = [row[0] for row in await connection.fetch(_SEQUENCES)]
        # DELETE, not TRUNCATE: a test leaves a few rows, and TRUNCATE makes new files for
        # every table (ten times slower). Foreign keys off meanwhile: every row goes.
        statements = [
            "SET LOCAL session_replication_role = replica",
            *(f'DELETE FROM "{table}"' for table in tables),
            *(f'ALTER SEQUENCE "{sequence}" RESTART' for sequence in sequences),
        ]
        async with connection.transaction():
            await connection.execute("; ".join(statements))
        return bool(await connection.fetchval(_REVISION) == self._template_revision)

    async def _empty(self, connection: asyncpg.Connection) -> bool:
        """No schema but an empty ``public``: as a database new from ``template1``."""
        async with connection.transaction():
            await connection.execute(
                "DROP SCHEMA public CASCADE; "
                "CREATE SCHEMA public AUTHORIZATION pg_database_owner; "
                "GRANT USAGE ON SCHEMA public TO PUBLIC"
            )
        return bool(await connection.fetchval(_SHAPE) == self._empty_shape)


async def _shape(name: str) -> str:
    connection = await asyncpg.connect(POSTGRES_DSN.format(name=name), timeout=10)
    try:
        return str(await connection.fetchval(_SHAPE))
    finally:
        await connection.close()


async def _migrate(url: str) -> None:
    store = await create_store(url)
    try:
        await store.create_schema()
    finally:
        await store.close()
