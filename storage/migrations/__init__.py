"""Alembic's scripts for the store's schema; run them through ``storage.schema``, not by hand."""
