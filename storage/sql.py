"""Statement helpers the data-access modules share.

``INSERT ... ON CONFLICT`` is spelled the same on SQLite and PostgreSQL but lives in each
dialect's own ``insert``; picking it from the live connection keeps the modules
dialect-free.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

from sqlalchemy import ColumnElement, Row
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite

    from storage.models import Base

AnyRow: TypeAlias = Row[*tuple[Any, ...]]
"""A result row of any shape; the modules read its columns by name."""


def insert(conn: AsyncConnection, model: type[Base]) -> postgresql.Insert | sqlite.Insert:
    """An ``INSERT`` for ``model`` that supports ``on_conflict_do_*`` on this connection.
    Each dialect is imported on first use (by then the engine has loaded its own)."""
    if conn.dialect.name == "postgresql":
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
