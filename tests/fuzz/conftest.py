"""One real app per test module with every HTTP channel on (Slack over HTTP against a fake
Slack, Teams in local mode against a fake Bot Connector, the web chat, file links), on
PostgreSQL: the stricter store (no NUL in text, BIGINT ids, strict UTF-8), so input that
only SQLite would swallow still fails here.

``logs`` collects every log record the app writes while the module runs, so a test can
prove no traceback and no request body reached a log.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg
import pytest
import pytest_asyncio

from tests.conftest import POSTGRES_ADMIN_DSN, POSTGRES_URL
from tests.harness import RunningApp, running_app
from tests.slack.driver import SIGNING_SECRET
from tests.slack.fake_slack import BOT_TOKEN, FakeSlack
from tests.teams.fakes import FakeConnector

ORG = str(Path(__file__).with_name("organisation.yaml"))


@dataclass
class Fuzzed:
    app: RunningApp
    http: aiohttp.ClientSession
    slack: FakeSlack
    connector: FakeConnector

    @property
    def url(self) -> str:
        return self.app.url


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def tracebacks(self) -> list[str]:
        """Each logged exception (and error) as where it was raised, deduplicated."""
        found = []
        for record in self.records:
            if record.exc_info and record.exc_info[2] is not None:
                tb = record.exc_info[2]
                while tb.tb_next is not None:
                    tb = tb.tb_next
                where = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}"
                found.append(f"{record.name}: {record.exc_info[0]!r} at {where}")
            elif record.exc_info or record.stack_info or record.levelno >= logging.ERROR:
                found.append(f"{record.name}: {record.getMessage()}")
        return sorted(set(found))

    def containing(self, mark: str) -> list[str]:
        return [r.name for r in self.records if mark in r.getMessage()]


@pytest.fixture(scope="module")
def logs() -> Iterator[Records]:
    handler = Records()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)  # what Bolt writes at INFO (request bodies) counts too
    yield handler
    root.removeHandler(handler)
    root.setLevel(old_level)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def postgres_url() -> AsyncIterator[str]:
    try:
        admin = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        message = f"PostgreSQL not reachable at 127.0.0.1:5432: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    name = f"noodrem_f_{uuid.uuid4().hex[:12]}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield POSTGRES_URL.format(name=name)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fuzzed(postgres_url: str, logs: Records) -> AsyncIterator[Fuzzed]:
    slack, connector = FakeSlack(), FakeConnector()
    await slack.start()
    await connector.start()
    env = {
        "ORGANISATION_FILE": ORG,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "TEAMS_LOCAL": "1",
    }
    try:
        async with (
            running_app(postgres_url, env=env) as app,
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=16)) as http,
        ):
            yield Fuzzed(app, http, slack, connector)
    finally:
        await connector.stop()
        await slack.stop()
