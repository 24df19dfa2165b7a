"""Statement helpers the data-access modules share, and how a unit of work begins.

``INSERT ... ON CONFLICT`` is spelled the same on SQLite and PostgreSQL but lives in each
dialect's own ``insert``; picking it from the live connection keeps the modules
dialect-free. ``Begin`` says how a unit of work begins (``storage.db``), ``is_busy``
recognises SQLite refusing a deferred transaction's first write (``SqlStore.atomically``).
"""

from __future__ import annotations

import functools
import sqlite3
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeAlias

from sqlalchemy import ColumnElement, Insert, Row
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite

    from storage.models import Base

_SQLITE_BUSY = 5  # the primary result code of SQLITE_BUSY and its extended codes


class Begin(Enum):
    """How a unit of work begins (SQLite; PostgreSQL has row locks and no database lock)."""

    IMMEDIATE = "immediate"
    """SQLite: the database's write lock from the start (``BEGIN IMMEDIATE``), so its first
    write cannot fail on a lock upgrade. PostgreSQL: READ COMMITTED, as every writer."""
    DEFERRED = "deferred"
    """SQLite: a read transaction until its first write takes the write lock, which fails
    (``is_busy``) when another writer got in between. PostgreSQL: as ``IMMEDIATE``."""
    SNAPSHOT = "snapshot"
    """Read only, on a consistent snapshot (SQLite deferred with ``query_only``;
    PostgreSQL ``REPEATABLE READ READ ONLY``): writing in it fails."""


def is_busy(exc: DBAPIError) -> bool:
    """Whether ``exc`` is SQLite's "database is locked" (``SQLITE_BUSY`` or one of its
    extended codes): in a deferred transaction, its upgrade to a writer was refused."""
    code = exc.orig.sqlite_errorcode if isinstance(exc.orig, sqlite3.Error) else None
    return code is not None and code & 0xFF == _SQLITE_BUSY


AnyRow: TypeAlias = Row[*tuple[Any, ...]]
"""A result row of any shape; the modules read its columns by name."""


def insert(conn: AsyncConnection, model: type[Base]) -> postgresql.Insert | sqlite.Insert:
    """An ``INSERT`` for ``model`` that supports ``on_conflict_do_*`` on this connection.
    Each dialect is imported on first use (by then the engine has loaded its own)."""
    return _insert(conn.dialect.name, model)


def upsert(
    conn: AsyncConnection,
    model: type[Base],
    *,
    key: tuple[str, ...],
    update: tuple[str, ...] = (),
    returning: tuple[str, ...] = (),
) -> Insert:
    """``INSERT ... ON CONFLICT (key) DO UPDATE SET`` each of ``update`` to the row's
    value (``DO NOTHING`` without ``update``), ``RETURNING`` the columns named, for rows
    passed as parameters. Built once per dialect: the statements of every turn cost more
    Python to build than to run."""
    return _upsert(conn.dialect.name, model, key, update, returning)


@functools.cache
def _upsert(
    dialect: str,
    model: type[Base],
    key: tuple[str, ...],
    update: tuple[str, ...],
    returning: tuple[str, ...],
) -> Insert:
    base = _insert(dialect, model)
    index = [getattr(model, column) for column in key]
    if update:
        set_ = {column: base.excluded[column] for column in update}
        stmt: Insert = base.on_conflict_do_update(index_elements=index, set_=set_)
    else:
        stmt = base.on_conflict_do_nothing(index_elements=index)
    if returning:
        stmt = stmt.returning(*(getattr(model, column) for column in returning))
    return stmt


def _insert(dialect: str, model: type[Base]) -> postgresql.Insert | sqlite.Insert:
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(model)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(model)


class unindexed(FunctionElement[Any]):
    """A column the SQLite planner must not pick an index for (``+column``; as is on
    PostgreSQL, whose planner has statistics). Without statistics SQLite prefers the
    (org_id, status, reported_at) index for every "open incidents of the organisation" query,
    even where another index finds the few rows wanted: that reads every open incident."""

    inherit_cache = True

    def __init__(self, column: ColumnElement[Any] | QueryableAttribute[Any]) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(unindexed)
def _as_is(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(unindexed, "sqlite")
def _unary_plus(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return "+" + str(compiler.process(element.clauses, **kw))
