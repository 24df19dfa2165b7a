"""SQLAlchemy implementation of ``bot.ports.Store`` (SQLite by default, PostgreSQL in production).

``store = await create_store(url)`` opens and checks the database, ``await
store.create_schema()`` creates or upgrades the schema (``storage.schema``), ``await
store.close()`` releases it.
"""

from __future__ import annotations

from storage.db import create_store
from storage.errors import StoreError
from storage.store import SqlStore

__all__ = ["SqlStore", "StoreError", "create_store"]
