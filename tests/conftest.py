"""Fixtures shared by the whole test suite.

``database_url`` runs a test once on a fresh SQLite file and once on a fresh PostgreSQL
database, so what passes here passes in production too; empty, or already at the newest
schema for a test that asks for ``schema_at_head`` (as the fixtures that start the app do).
``store`` is a started ``SqlStore`` on that database with the schema created.
``make_incident`` builds (does not store) an incident record.
``clock`` and ``bot`` are the app of the end-to-end tests: served on a loopback port with
the fixture organisation, on a test clock that starts on ``FRIDAY_MORNING`` (a module that
needs another organisation or the real clock defines its own ``bot``).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from bot.clock import ManualClock
from bot.ports import Incident, IncidentStatus
from storage import SqlStore, create_store
from tests.databases import POSTGRES_ADMIN_DSN, POSTGRES_URL, Databases
from tests.harness import DRAWINGS, FIXTURE_ORGANISATION, FRIDAY_MORNING, RunningApp, running_app


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """One HTTP client per test, for the tests that talk to a running app."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def schema_at_head() -> None:
    """Ask for this next to ``database_url`` when the app starts on it at once: the database
    is then already at the newest schema (a copy of one migrated once a session), so the
    start finds nothing to migrate instead of running every migration again."""


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    made = Databases(tmp_path_factory.mktemp("template"))
    yield made
    asyncio.run(made.close())


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, databases: Databases
) -> AsyncIterator[str]:
    """A URL of a database of each kind for this test alone, empty (or at the newest
    schema, see ``schema_at_head``); see ``tests/databases.py`` for how.

    Skips when PostgreSQL is not running, except under CI (``CI`` set), where a skip
    would hide a test that should have run.
    """
    at_head = "schema_at_head" in request.fixturenames
    if request.param == "sqlite":
        yield await databases.sqlite(tmp_path / "noodrem.db", at_head=at_head)
        return
    try:
        admin = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        message = f"PostgreSQL not reachable at 127.0.0.1:5432: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    try:
        name = await databases.take(admin, at_head=at_head)
        yield POSTGRES_URL.format(name=name)
        await databases.give_back(admin, name, at_head=at_head)
    finally:
        await admin.close()


@pytest.fixture
async def store(schema_at_head: None, database_url: str) -> AsyncIterator[SqlStore]:
    store = await create_store(database_url)
    await store.create_schema()
    yield store
    await store.close()


@pytest.fixture
def make_incident() -> Callable[..., Incident]:
    """``make_incident("inc-2", tenant_id="T2", org_id="beta")``: an open incident, fields
    overridable."""
    base = Incident(
        id="inc-1",
        tenant_id="T1",
        org_id="acme",
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


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(FRIDAY_MORNING)


@pytest.fixture
async def bot(
    schema_at_head: None, database_url: str, clock: ManualClock
) -> AsyncIterator[RunningApp]:
    env = {"ORGANISATION_FILE": FIXTURE_ORGANISATION}
    async with running_app(database_url, clock=clock, env=env) as app:
        yield app


@pytest.fixture(scope="session", autouse=True)
def drawing_worker() -> Iterator[None]:
    """Stops the tests' shared evidence-drawing worker (``harness.DRAWINGS``) at the end."""
    yield
    DRAWINGS.close()
