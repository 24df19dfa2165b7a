"""Alembic's entry point, run by ``storage.schema`` on a connection it already holds.

``storage.schema`` opens the connection, takes the lock and the transaction, and hands
the connection over in ``config.attributes["connection"]``; this file only configures the
migration context on it. There is no offline (SQL script) mode: every run goes through
the lock, so two replicas never migrate at once.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection

from storage.models import Base, UTCDateTime


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write our column types as plain SQLAlchemy types in a new revision.

    A revision must keep meaning what it meant when written, so it does not import
    ``storage.models``: ``UTCDateTime`` becomes the DDL it produces on each database.
    """
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return 'sa.DateTime(timezone=True).with_variant(sa.String(length=27), "sqlite")'
    return False


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things: Alembic's batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    # Inside the caller's transaction: Alembic adds none of its own.
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run migrations with `python -m storage.schema`, not the alembic command")
run(connection)
