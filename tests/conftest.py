"""Fixtures shared by the whole test suite.

``database_url`` runs a test once on a fresh SQLite file and once on a fresh PostgreSQL
database, so what passes here passes in production too. ``store`` is a started
``SqlStore`` on that database with the schema created. ``make_incident`` builds (does
not store) an incident record.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.ports import Incident, IncidentStatus
from storage import SqlStore, create_store

POSTGRES_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"
POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A URL of an empty database of each kind; PostgreSQL's is dropped afterwards.

    Skips when PostgreSQL is not running, except under CI (``CI`` set), where a skip
    would hide a test that should have run.
    """
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'noodrem.db'}"
        return
    try:
        admin = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        message = f"PostgreSQL not reachable at 127.0.0.1:5432: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    name = f"noodrem_t_{uuid.uuid4().hex[:12]}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield POSTGRES_URL.format(name=name)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlStore]:
    store = await create_store(database_url)
    await store.create_schema()
    yield store
    await store.close()


@pytest.fixture
def make_incident() -> Callable[..., Incident]:
    """``make_incident("inc-2", tenant_id="T2")``: an open incident, fields overridable."""
    base = Incident(
        id="inc-1",
        tenant_id="T1",
        playbook_id="paid-fraudster",
        lang="nl",
        status=IncidentStatus.OPEN,
        reported_at=datetime(2026, 11, 21, 19, 35, 51, 123456, tzinfo=UTC),
        reported_by="slack:T1:U1",
        reporter_name="Anna",
        lead="slack:T1:U1",
        conversation={"channel": "slack", "tenant_id": "T1", "conversation_id": "C1"},
    )

    def make(incident_id: str = "inc-1", **changes: Any) -> Incident:
        return replace(base, id=incident_id, **changes)

    return make
