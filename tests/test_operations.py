"""What an operator's tools see over real HTTP: /healthz (alive), /readyz (store and schema),
/metrics (Prometheus text, parsed with prometheus-client's own parser)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url

from bot.clock import ManualClock
from bot.config import Settings, SettingsError
from storage import schema
from tests.conftest import POSTGRES_ADMIN_DSN
from tests.harness import running_app
from tests.webclient import WebUser

ORG_FILE = Path(__file__).parent / "fixtures" / "organisation.yaml"
ENV = {"ORGANISATION_FILE": str(ORG_FILE)}
START = datetime(2026, 12, 2, 9, 0, 0, 123456, tzinfo=UTC)


async def _get(http: aiohttp.ClientSession, url: str) -> tuple[int, Any]:
    async with http.get(url) as res:
        return res.status, await res.json()


async def _scrape(http: aiohttp.ClientSession, base_url: str) -> dict[tuple[str, str], float]:
    """Every sample as (name, channel label) -> value."""
    async with http.get(f"{base_url}/metrics") as res:
        assert res.status == 200
        assert res.headers["Content-Type"].startswith("text/plain")
        body = await res.text()
    assert "Jan" not in body and "NR-" not in body  # no person, no incident in a label
    return {
        (sample.name, sample.labels.get("channel", "")): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
        if not sample.labels.get("le")  # the buckets are not needed here
    }


async def test_alive_and_ready(database_url: str) -> None:
    async with running_app(database_url, env=ENV) as bot, aiohttp.ClientSession() as http:
        assert await _get(http, f"{bot.url}/healthz") == (200, {"ok": True})
        assert await _get(http, f"{bot.url}/readyz") == (200, {"ready": True})


async def test_not_ready_when_the_schema_is_behind(database_url: str) -> None:
    async with running_app(database_url, env=ENV) as bot, aiohttp.ClientSession() as http:
        store = bot.runtime.require_store()
        await store.run_schema(
            lambda conn: conn.exec_driver_sql(
                f"UPDATE alembic_version SET version_num = '{schema.BASELINE}'"
            )
        )
        status, body = await _get(http, f"{bot.url}/readyz")
        assert status == 503
        assert body == {
            "ready": False,
            "reason": f"database schema at {schema.BASELINE}, expected {schema.head()}",
        }
        assert await _get(http, f"{bot.url}/healthz") == (200, {"ok": True})  # still alive


def _replace_with_a_directory(path: Path) -> None:
    """A directory where the SQLite file was: SQLite cannot open it."""
    for leftover in (path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")):
        leftover.unlink(missing_ok=True)
    path.mkdir()


async def test_not_ready_when_the_database_is_gone(database_url: str) -> None:
    async with running_app(database_url, env=ENV) as bot, aiohttp.ClientSession() as http:
        store = bot.runtime.require_store()
        await store.close()  # empties the pool: the next query opens a new connection
        url = make_url(database_url)
        if url.get_backend_name() == "sqlite":
            _replace_with_a_directory(Path(str(url.database)))
        else:
            admin = await asyncpg.connect(POSTGRES_ADMIN_DSN)
            try:
                await admin.execute(f'DROP DATABASE "{url.database}" WITH (FORCE)')
            finally:
                await admin.close()
        status, body = await _get(http, f"{bot.url}/readyz")
        assert status == 503
        assert body == {"ready": False, "reason": "database unreachable"}
        assert await _get(http, f"{bot.url}/healthz") == (200, {"ok": True})


async def test_metrics_move_with_messages_reminders_and_failed_deliveries(
    database_url: str,
) -> None:
    clock = ManualClock(START)
    async with (
        running_app(database_url, env=ENV, clock=clock) as bot,
        aiohttp.ClientSession() as http,
    ):
        before = await _scrape(http, bot.url)
        assert before[("noodrem_messages_total", "web")] == 0
        assert before[("noodrem_reminder_lateness_seconds_count", "")] == 0

        jan = WebUser(http, bot.url, "Jan")
        await jan.say("ik denk dat we een oplichter hebben betaald")
        await jan.press("Ja")
        after = await _scrape(http, bot.url)
        assert after[("noodrem_messages_total", "web")] == 2
        assert after[("noodrem_messages_total", "slack")] == 0
        assert after[("noodrem_turn_seconds_count", "web")] == 2
        assert after[("noodrem_turn_seconds_sum", "web")] > 0

        # A manager last seen in Slack, which this app does not run: an escalation to her
        # cannot be delivered, and that is counted.
        org = bot.runtime.organisations.default
        mira = next(m for m in org.managers if m.name == "Mira Manager")
        async with bot.runtime.require_store().transaction() as tx:
            await tx.save_address(
                user_key=org.manager_key(mira),
                address={"channel": "slack", "tenant_id": "T1", "conversation_id": "D1"},
                at=clock.now(),
            )
        clock.advance(timedelta(hours=3))
        assert await bot.run_reminders() > 0
        late = await _scrape(http, bot.url)
    sent = late[("noodrem_reminder_lateness_seconds_count", "")]
    assert sent > 0
    assert late[("noodrem_reminder_lateness_seconds_sum", "")] > 0  # sent hours after due
    assert late[("noodrem_delivery_failures_total", "slack")] >= 1
    assert late[("noodrem_delivery_failures_total", "web")] == 0


async def test_a_metrics_token_keeps_the_counts_for_the_scraper(database_url: str) -> None:
    env = {**ENV, "METRICS_TOKEN": "s3cret-scrape"}
    async with running_app(database_url, env=env) as bot, aiohttp.ClientSession() as http:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}):
            async with http.get(f"{bot.url}/metrics", headers=headers) as res:
                assert res.status == 401
                assert "METRICS_TOKEN" in (await res.json())["error"]
                assert "noodrem_" not in await res.text()
        auth = {"Authorization": "Bearer s3cret-scrape"}
        async with http.get(f"{bot.url}/metrics", headers=auth) as res:
            assert res.status == 200 and "noodrem_messages_total" in await res.text()


def test_retention_settings() -> None:
    default = Settings.from_env({})
    assert default.chat_retention == timedelta(days=90)
    assert default.dedup_retention == timedelta(days=30)
    chosen = Settings.from_env({"CHAT_RETENTION_DAYS": "7", "DEDUP_RETENTION_DAYS": "0"})
    assert chosen.chat_retention == timedelta(days=7)
    assert chosen.dedup_retention is None  # kept for ever
    with pytest.raises(SettingsError, match="CHAT_RETENTION_DAYS must be a whole number"):
        Settings.from_env({"CHAT_RETENTION_DAYS": "1.5"})
    with pytest.raises(SettingsError, match="DEDUP_RETENTION_DAYS must be 0"):
        Settings.from_env({"DEDUP_RETENTION_DAYS": "-1"})
