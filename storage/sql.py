"""Statement helpers the data-access modules share.

``INSERT ... ON CONFLICT`` is spelled the same on SQLite and PostgreSQL but lives in each
dialect's own ``insert``; picking it from the live connection keeps the modules
dialect-free.
"""

from __future__ import annotations

from typing import Any, TypeAlias

from sqlalchemy import Row
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

AnyRow: TypeAlias = Row[*tuple[Any, ...]]
"""A result row of any shape; the modules read its columns by name."""


def insert(conn: AsyncConnection, model: Any) -> postgresql.Insert | sqlite.Insert:
    """An ``INSERT`` for ``model`` that supports ``on_conflict_do_*`` on this connection."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)
