"""An incident recorded through the real app, on SQLite and on PostgreSQL, to export."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.clock import ManualClock
from bot.evidence.source import Evidence, read_evidence
from bot.messages import Lang
from tests.evidence.scenario import ORG, START, Recorded, run_incident
from tests.harness import running_app

GENERATED = START + timedelta(minutes=83)  # 11:23 in Amsterdam


@pytest.fixture
async def recorded(schema_at_head: None, database_url: str) -> AsyncIterator[Recorded]:
    clock = ManualClock(START)
    async with (
        running_app(database_url, clock=clock, env={"ORGANISATION_FILE": ORG}) as app,
        aiohttp.ClientSession() as http,
    ):
        incident_id = await run_incident(app, http, clock)
        yield Recorded(app=app, incident_id=incident_id)


async def evidence_of(recorded: Recorded, *, lang: Lang | None = None) -> Evidence:
    runtime = recorded.app.runtime
    async with runtime.require_store().transaction() as tx:
        return await read_evidence(
            tx,
            recorded.incident_id,
            organisations=runtime.organisations,
            playbooks=runtime.playbooks,
            generated_at=GENERATED,
            lang=lang,
        )


def pdf_pages(data: bytes, tmp_path: Path) -> list[str]:
    """The text of each page, as ``pdftotext`` (poppler) reads it."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "file.pdf"
    path.write_bytes(data)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return text.split("\f")[:-1]
