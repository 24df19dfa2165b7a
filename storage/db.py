"""Opening the database, and the one place that owns a connection and its transaction.

``create_store(url)`` turns ``DATABASE_URL`` into a checked, connected ``SqlStore``; any
URL the app cannot use becomes one ``StoreError`` whose message names the problem and
masks the password. ``Database.unit_of_work`` is the only code that begins, commits, rolls
back and closes: every data-access function runs on the connection it hands out.

SQLite is set up so concurrent writers queue instead of failing: WAL (readers do not block
the writer), foreign keys on, a busy timeout, and a transaction opened with ``BEGIN
IMMEDIATE`` unless its unit of work says otherwise (``Begin``; the SQLAlchemy recipe: switch
off the driver's own ``BEGIN`` and emit ours). A deferred ``BEGIN`` reads without the write
lock and takes it at its first write; that upgrade fails at once with "database is locked"
(``SQLITE_BUSY``, ``SQLITE_BUSY_SNAPSHOT``: no busy timeout helps) when another writer holds
the lock or committed since the transaction's first read. ``storage.sql.is_busy`` tells
that error, and ``SqlStore.atomically`` answers it by running the work again under ``BEGIN
IMMEDIATE``. A read-only unit of work (``SqlStore.snapshot``) begins deferred, never writes.

The schema is Alembic's (``storage.schema``): ``create_schema`` upgrades to the newest
revision in one transaction that holds a lock first, so replicas starting at once take
turns. PostgreSQL: a transaction-scoped advisory lock (released by the commit or rollback
even if the process dies, so it cannot leak on a pooled connection), and its DDL is
transactional, so a failed migration leaves the previous schema. SQLite: ``BEGIN
IMMEDIATE`` is the database's own write lock; the migration runs on a connection of its
own with foreign keys off (SQLite's batch mode copies tables, and that pragma cannot
change inside a transaction) and checks them before it commits.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from storage import schema
from storage.errors import StoreError
from storage.sql import Begin
from storage.store import SqlStore

log = logging.getLogger(__name__)
T = TypeVar("T")

SQLITE = "sqlite+aiosqlite"
POSTGRESQL = "postgresql+asyncpg"
EXAMPLES = (
    "sqlite+aiosqlite:///./data/noodrem.db or postgresql+asyncpg://user:password@host:5432/dbname"
)
SQLITE_BUSY_TIMEOUT_MS = 5_000
# A replica waiting for another's migration: copying a large table can take a while.
SQLITE_MIGRATION_BUSY_TIMEOUT_MS = 120_000
POSTGRESQL_CONNECT_TIMEOUT_S = 10
# A pooled PostgreSQL connection unused this long is pinged before it is handed out.
POSTGRESQL_PING_IDLE_S = 10.0
MIN_SQLITE = (3, 35, 0)  # UPDATE/INSERT ... RETURNING
# Any constant: replicas starting together take turns migrating the schema.
SCHEMA_LOCK_KEY = 0x4E6F6F6472656D


async def create_store(url: str, *, must_exist: bool = False) -> SqlStore:
    """Open the database at ``url`` and check it answers; the caller must ``close()`` it.

    Does not create or upgrade tables: call ``await store.create_schema()`` for that.
    Raises ``StoreError`` for a URL the app cannot use. ``must_exist`` (for tools that
    only read) refuses a SQLite file that is not there instead of creating an empty one.
    """
    if must_exist:
        _require_sqlite_file(url)
    database = Database(_engine_for(url))
    await database.check()
    return SqlStore(database)


class Database:
    """Owns the engine: schema creation, units of work, and release."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._name = describe_url(engine.url)
        # SQLite's own wait for its write lock sleeps and retries, first come not first
        # served: under a burst some writers waited past the busy timeout ("database is
        # locked") while others got in again and again. This process's writers queue here
        # instead, in order; the busy timeout is left for other processes (a CLI command).
        self._sqlite_writers = asyncio.Lock() if self.single_writer else None
        self._writes = 0  # see ``writes``

    @property
    def single_writer(self) -> bool:
        """Whether a write takes a lock over the whole database (SQLite), not rows."""
        return self._engine.dialect.name == "sqlite"

    @property
    def writes(self) -> int:
        """SQLite: how many units of work of this process took the write lock so far (the
        one holding it now included). A deferred transaction begun before the latest of
        them cannot take the lock any more: SQLite refuses a writer whose snapshot is older
        than the last commit, and waits for none that holds the lock now."""
        return self._writes

    def wrote(self) -> None:
        """Count a deferred unit of work that took the write lock itself (see ``writes``)."""
        self._writes += 1

    @property
    def engine(self) -> AsyncEngine:
        """For a library that brings its own SQL for its own tables (slack_sdk's
        installation store): the same pool and SQLite set-up, outside ``unit_of_work``."""
        return self._engine

    async def check(self) -> None:
        """Open one connection now, so a bad URL fails at start and not at the first message."""
        try:
            async with self.unit_of_work() as conn:
                await conn.execute(text("SELECT 1"))
        except StoreError:
            await self._engine.dispose()
            raise

    async def create_schema(self) -> None:
        """Create the schema, or upgrade it to the newest revision; idempotent."""
        done = await self.run_schema(schema.upgrade, lock=True)
        if done.stamped:
            # An existing deployment's first start with migrations: say it, it happens once.
            log.info(
                "database %s: existing tables stamped as schema %s", self._name, schema.BASELINE
            )
        if done.changed:
            log.info("database %s: schema %s -> %s", self._name, done.before, done.after)

    async def schema_revision(self) -> str | None:
        """The revision the database is at; ``None`` when it has none."""
        return await self.run_schema(schema.current)

    async def readiness(self) -> str | None:
        """``None`` when the database answers and is at the newest revision, else why not.

        An ordinary short unit of work (no migration connection, no schema lock), so a
        probe every few seconds costs one small query; a read-only one, so it neither waits
        for SQLite's write lock nor holds it.
        """
        try:
            async with self.unit_of_work(Begin.SNAPSHOT) as conn:
                at = await conn.run_sync(schema.version)
        except StoreError as exc:
            log.warning("not ready: %s", exc)  # the message masks any password
            return "database unreachable"
        # Alembic only when the revision files do not name one head: importing it would
        # cost the first probe after a start most of a second.
        newest = schema.quick_head() or schema.head()
        if at != newest:
            return f"database schema at {at or 'none'}, expected {newest}"
        return None

    async def run_schema(self, work: Callable[[Connection], T], *, lock: bool = False) -> T:
        """Run ``work`` on a migration connection, in one transaction, under the schema lock."""
        sqlite_db = self._engine.url.drivername == SQLITE
        engine = _sqlite_migration_engine(self._engine.url) if sqlite_db else self._engine
        try:
            async with self._transaction(engine) as conn:
                if lock and conn.dialect.name == "postgresql":
                    await conn.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY}
                    )
                result = await conn.run_sync(work)
                if sqlite_db:
                    broken = (await conn.exec_driver_sql("PRAGMA foreign_key_check")).first()
                    if broken is not None:
                        raise StoreError(
                            f"the schema upgrade of {self._name} would break a foreign key "
                            f"in table {broken[0]}; nothing was changed"
                        )
                return result
        finally:
            if engine is not self._engine:
                await engine.dispose()

    @asynccontextmanager
    async def unit_of_work(self, begin: Begin = Begin.IMMEDIATE) -> AsyncIterator[AsyncConnection]:
        """A connection in a transaction begun as ``begin`` says: commit if the block
        succeeds, else roll back.

        Database errors leave as ``StoreError`` (the original stays as ``__cause__`` for
        the log, and for ``is_busy``); any other exception from the block is re-raised
        unchanged.
        """
        async with self._transaction(self._engine, begin=begin) as conn:
            yield conn

    @staticmethod
    async def changes(conn: AsyncConnection) -> int | None:
        """How many rows this connection changed since it was opened (SQLite's own count,
        no statement); ``None`` where the driver does not say (PostgreSQL)."""
        raw = await conn.get_raw_connection()
        changed = getattr(raw.driver_connection, "total_changes", None)
        return changed if isinstance(changed, int) else None

    @asynccontextmanager
    async def _transaction(
        self, engine: AsyncEngine, *, begin: Begin = Begin.IMMEDIATE
    ) -> AsyncIterator[AsyncConnection]:
        """A writer's turn (``_writer_turn``) ends with its commit or rollback: handing the
        connection back to the pool after it (on SQLite a rollback of nothing, or undoing
        a snapshot's ``query_only``) holds up no other writer."""
        conn = engine.connect()
        try:
            async with self._writer_turn(engine, begin):
                await self._start(conn, begin)
                try:
                    async with conn.begin():
                        yield conn
                except SQLAlchemyError as exc:
                    raise StoreError(
                        f"database error on {self._name}: {_reason(exc, self._engine.url)}"
                    ) from exc
        finally:
            if conn.sync_connection is not None:  # it got a connection from the pool
                await conn.close()

    async def _start(self, conn: AsyncConnection, begin: Begin) -> None:
        try:
            await conn.start()
            if begin is Begin.SNAPSHOT and conn.dialect.name == "postgresql":
                await conn.execution_options(
                    isolation_level="REPEATABLE READ", postgresql_readonly=True
                )
            elif begin is not Begin.IMMEDIATE:
                await conn.execution_options(**{_SQLITE_BEGIN: begin})
        # asyncpg raises OSError when refused, TypeError for an unknown URL query option.
        except (SQLAlchemyError, OSError, TypeError, ValueError) as exc:
            raise StoreError(
                f"cannot open database {self._name}: {_reason(exc, self._engine.url)}"
            ) from exc

    @asynccontextmanager
    async def _writer_turn(self, engine: AsyncEngine, begin: Begin) -> AsyncIterator[None]:
        """On SQLite, a unit of work that begins with the write lock waits for its turn
        among this process's writers (see ``__init__``); anything else goes straight on."""
        queue = self._sqlite_writers
        if queue is None or begin is not Begin.IMMEDIATE or engine is not self._engine:
            yield
            return
        try:
            async with asyncio.timeout(SQLITE_BUSY_TIMEOUT_MS / 1000):
                await queue.acquire()
        except TimeoutError:
            raise StoreError(
                f"database error on {self._name}: database is locked (waited "
                f"{SQLITE_BUSY_TIMEOUT_MS // 1000} s for this process's other writers)"
            ) from None
        self._writes += 1
        try:
            yield
        finally:
            queue.release()

    async def close(self) -> None:
        await self._engine.dispose()


def _require_sqlite_file(raw_url: str) -> None:
    try:
        url = make_url(raw_url)
    except (ArgumentError, ValueError):
        return  # _engine_for says what is wrong with it
    if (
        url.drivername.startswith("sqlite")
        and url.database
        and not (Path(url.database).expanduser().is_file())
    ):
        raise StoreError(
            f"there is no database at {url.database}: run this where Noodrem runs, "
            "or set DATABASE_URL"
        )


def describe_url(url: URL) -> str:
    """The URL for messages and logs, with the password (also one in the query) masked."""
    query = {k: "***" if "pass" in k.lower() else v for k, v in url.query.items()}
    shown = url.set(query=query).render_as_string(hide_password=True)
    return shown.replace("%2A%2A%2A", "***")  # the query's mask comes back URL-encoded


def _engine_for(raw_url: str) -> AsyncEngine:
    try:
        url = make_url(raw_url)
    except (ArgumentError, ValueError):
        # Only a scheme://user:password@... shape tells where the password is; show
        # nothing of anything else, it may be a pasted secret.
        shown = re.sub(r"(://[^:/@]*:).*@", r"\1***@", raw_url) if "://" in raw_url else None
        raise StoreError(
            f"database URL {shown!r} is not a valid URL; expected e.g. {EXAMPLES}"
            if shown
            else f"the database URL is not a URL; expected e.g. {EXAMPLES}"
        ) from None
    if url.drivername == SQLITE:
        return _sqlite_engine(url)
    if url.drivername == POSTGRESQL:
        engine = _create(url, connect_args={"timeout": POSTGRESQL_CONNECT_TIMEOUT_S})
        event.listen(engine.sync_engine.pool, "checkin", _postgresql_on_checkin)
        event.listen(engine.sync_engine.pool, "checkout", _postgresql_on_checkout)
        return engine
    raise StoreError(
        f"database URL {describe_url(url)} uses {url.drivername!r}, which Noodrem cannot "
        f"use; use {EXAMPLES}"
    )


def _sqlite_engine(url: URL) -> AsyncEngine:
    if sqlite3.sqlite_version_info < MIN_SQLITE:
        raise StoreError(
            f"SQLite {sqlite3.sqlite_version} is too old; Noodrem needs 3.35 or newer "
            "(or use PostgreSQL)"
        )
    if url.database in (None, "", ":memory:") or "memory" in url.query.get("mode", ""):
        raise StoreError(
            f"database URL {describe_url(url)} names no SQLite file; incidents must survive "
            "a restart, so give a path such as sqlite+aiosqlite:///./data/noodrem.db"
        )
    parent = Path(url.database).expanduser().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot create the directory {str(parent)!r} for the SQLite database: "
            f"{exc.strerror or exc}"
        ) from None
    engine = _create(url)
    event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
    event.listen(engine.sync_engine, "begin", _sqlite_on_begin)
    event.listen(engine.sync_engine.pool, "checkin", _sqlite_on_checkin)
    return engine


def _sqlite_migration_engine(url: URL) -> AsyncEngine:
    """One connection for a migration: foreign keys off, a long wait for the write lock."""
    engine = _create(url, poolclass=NullPool)
    event.listen(engine.sync_engine, "connect", _sqlite_on_connect_for_migration)
    event.listen(engine.sync_engine, "begin", _sqlite_on_begin)
    return engine


def _create(url: URL, **kwargs: Any) -> AsyncEngine:
    try:
        return create_async_engine(url, **kwargs)
    except (SQLAlchemyError, ImportError, TypeError, ValueError) as exc:
        raise StoreError(
            f"cannot use database URL {describe_url(url)}: {_reason(exc, url)}"
        ) from None


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # The driver must not emit BEGIN itself (it would be a deferred one); _sqlite_on_begin does.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # The timeout first: switching a new file to WAL waits for another process's lock.
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_on_connect_for_migration(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_MIGRATION_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=OFF")
    cursor.close()


_RETURNED_AT = "noodrem_returned_at"
"""In a pooled PostgreSQL connection's ``info``: when it last came back to the pool."""


def _postgresql_on_checkin(_dbapi_connection: Any, record: Any) -> None:
    if record is not None:
        record.info[_RETURNED_AT] = time.monotonic()


def _postgresql_on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Ping a connection that lay unused a while before handing it out (a server restart,
    a firewall's idle cut): a dead one is replaced, and the unit of work never sees it.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout, three round trips with
    asyncpg (BEGIN, a statement, ROLLBACK): a fifth of a web ``status``'s. A connection
    in steady use is not pinged; should one be dead all the same, its unit of work fails
    and SQLAlchemy recycles every connection of the pool from that first error on.
    """
    returned = record.info.get(_RETURNED_AT)
    if returned is None or time.monotonic() - returned < POSTGRESQL_PING_IDLE_S:
        return  # new, or in steady use
    try:
        dbapi_connection.ping()
    except Exception as exc:  # whatever the dead connection raises: replace it
        raise DisconnectionError(f"an idle connection no longer answers: {exc}") from exc


_SQLITE_BEGIN = "noodrem_begin"
"""Execution option of a unit of work on SQLite: its ``Begin``, when not IMMEDIATE."""


def _sqlite_on_begin(conn: Connection) -> None:
    # Deferred: WAL gives the reads a consistent view while writers go on; a first write
    # after another writer's commit fails instead of waiting (the caller runs it again).
    begin = conn.get_execution_options().get(_SQLITE_BEGIN, Begin.IMMEDIATE)
    if begin is Begin.SNAPSHOT:
        conn.exec_driver_sql("PRAGMA query_only=1")  # a write in it fails, as on PostgreSQL
        conn.info[_QUERY_ONLY] = True  # the pool connection's own record, for the checkin
    conn.exec_driver_sql("BEGIN IMMEDIATE" if begin is Begin.IMMEDIATE else "BEGIN")


_QUERY_ONLY = "noodrem_query_only"
"""Set in a pooled SQLite connection's ``info`` while a snapshot's ``query_only`` is on."""


def _sqlite_on_checkin(dbapi_connection: Any, record: Any) -> None:
    # The pool hands the connection to a writer next: undo a snapshot's query_only (only
    # then: each statement through the driver costs thread hand-offs).
    if record is None or not record.info.pop(_QUERY_ONLY, False):
        return
    try:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA query_only=0")
        cursor.close()
    except (AttributeError, sqlite3.Error):
        # A statement cancelled at shutdown leaves the driver's connection closed (the
        # adapter raises AttributeError): there is nothing left to undo on it.
        log.debug("a closed SQLite connection came back to the pool")


def _reason(exc: BaseException, url: URL | None) -> str:
    """The driver's own words, without SQLAlchemy's boilerplate, any password, the
    statement, its parameters or PostgreSQL's DETAIL line: those carry the row's values
    (an IBAN, a name), and this message is logged."""
    reason = str(exc.orig) if isinstance(exc, DBAPIError) else str(exc)
    reason = reason.split("[SQL:", 1)[0]
    kept = [
        line
        for line in reason.splitlines()
        if not line.lstrip().startswith(("DETAIL:", "[parameters:", "(Background on"))
    ]
    reason = " ".join(" ".join(kept).split()) or type(exc).__name__
    if url is not None and url.password:
        reason = reason.replace(str(url.password), "***")
    return reason
