"""The start as ``serve`` runs it: the front listens at once (``bot/front.py``), the app is
built and started behind it; /healthz answers meanwhile, /readyz does not say ready, and a
message sent meanwhile waits and is answered."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

import app as app_module
from app import StartupError, build_app
from bot.config import Settings
from bot.front import RETRY_AFTER_SECONDS, Front
from tests.webclient import WebUser, texts

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 120  # seconds for a start in a fresh interpreter; a training takes a few


@asynccontextmanager
async def listening(front: Front) -> AsyncIterator[str]:
    runner = web.AppRunner(front.application(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


async def _get(http: aiohttp.ClientSession, url: str) -> tuple[int, Any]:
    async with http.get(url) as response:
        return response.status, await response.json()


def _settings(database_url: str, playbooks: Path = ROOT / "playbooks") -> Settings:
    return Settings.from_env({"DATABASE_URL": database_url, "PLAYBOOKS_DIR": str(playbooks)})


async def test_alive_at_once_and_a_message_sent_during_the_start_waits_for_it(
    database_url: str,
) -> None:
    built = asyncio.Event()

    async def build() -> web.Application:
        await built.wait()  # the build, held here as long as the test wants
        return build_app(_settings(database_url), start_scheduler=False)

    front = Front()
    async with listening(front) as url, aiohttp.ClientSession() as http:
        starting = asyncio.create_task(front.start(build()))
        assert await _get(http, f"{url}/healthz") == (200, {"ok": True})
        assert await _get(http, f"{url}/readyz") == (503, {"ready": False, "reason": "starting"})
        jan = WebUser(http, url, "Jan")
        said = asyncio.create_task(jan.say("status"))
        page = asyncio.create_task(http.get(f"{url}/"))
        await asyncio.sleep(0.3)  # not a wait for an outcome: a chance to answer too early
        assert not said.done() and not page.done(), "answered before the app was started"
        built.set()
        await starting
        assert await _get(http, f"{url}/readyz") == (200, {"ready": True})
        answered = await said
        async with await page as response:
            assert response.status == 200 and "text/html" in response.content_type
    assert answered and "begreep ik niet" not in texts(answered)
    assert any(m["kind"] == "user" and m["text"] == "status" for m in jan.history)


async def test_a_broken_playbook_stops_the_start_and_it_is_never_ready(
    database_url: str, tmp_path: Path
) -> None:
    """As ``serve`` builds it (``_built``, in a thread): the file:line error is raised; the
    request held meanwhile gets a 503 the sender retries, and /readyz never said ready."""
    broken = tmp_path / "playbooks"
    broken.mkdir()
    (broken / "bad-duration.yaml").write_bytes(
        (ROOT / "tests" / "playbooks_broken" / "bad-duration.yaml").read_bytes()
    )
    front = Front()
    async with listening(front) as url, aiohttp.ClientSession() as http:
        held = asyncio.create_task(http.post(f"{url}/api/web/messages", json={"text": "hi"}))
        assert await _get(http, f"{url}/readyz") == (503, {"ready": False, "reason": "starting"})
        with pytest.raises(StartupError, match=r"bad-duration\.yaml:\d+.*is not a duration"):
            await front.start(asyncio.to_thread(app_module._built, _settings(database_url, broken)))
        async with await held as response:
            assert response.status == 503
            assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
        assert await _get(http, f"{url}/readyz") == (503, {"ready": False, "reason": "starting"})


# A start as ``serve`` makes it (``_built``, then the startup hooks), in a fresh interpreter:
# which of the modules that are slow to import it has imported once ready, then once the
# recognizer is warm. Printed as JSON. A start that hangs prints every thread's stack and
# exits before the test's own timeout, so the failure says where it stood.
_START = """
import asyncio, faulthandler, json, sys
faulthandler.dump_traceback_later(START_TIMEOUT - 10, exit=True)
from aiohttp import web
import app
from bot.config import Settings

HEAVY = ("fpdf", "botbuilder", "slack_bolt", "slack_sdk", "sklearn", "alembic")

def heavy():
    return [name for name in HEAVY if name in sys.modules]

async def main():
    settings = Settings.from_env(json.loads(sys.argv[1]))
    built = await asyncio.to_thread(app._built, settings)  # as serve builds it
    runner = web.AppRunner(built)
    await runner.setup()
    runtime = built[app.RUNTIME]
    ready = heavy()
    if runtime.training is not None:  # what the start itself began
        await runtime.training
    started = heavy()
    await runtime.recognizer_ready()  # the warm-up serve begins once ready
    recognizer = runtime.engine.recognizer is not None
    await runner.cleanup()
    print(json.dumps({"ready": ready, "started": started, "warm": heavy(),
                      "recognizer": recognizer}))

asyncio.run(main())
"""


def _start(env: dict[str, str]) -> dict[str, Any]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_"))}
    done = subprocess.run(
        [sys.executable, "-c", f"START_TIMEOUT = {START_TIMEOUT}\n{_START}", json.dumps(env)],
        cwd=ROOT,
        env=clean | {"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return found


def test_a_start_without_slack_or_teams_imports_no_sdk_no_pdf_and_no_scikit_learn(
    tmp_path: Path,
) -> None:
    """Ready without a platform's SDK, fpdf2 or scikit-learn (nor Alembic on a restart):
    the recognizer is warmed after ready, and from its kept weights once a start trained it."""
    env = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/noodrem.db",
        "PLAYBOOKS_DIR": str(ROOT / "playbooks"),
        "NOODREM_CACHE_DIR": str(tmp_path / "cache"),
    }
    first = _start(env)  # a new database (migrations) and nothing kept: it trains
    assert first["ready"] == first["started"] == ["alembic"]
    assert "sklearn" in first["warm"] and first["recognizer"]
    [kept] = (tmp_path / "cache").iterdir()
    assert kept.name.startswith("recognizer-")
    again = _start(env)  # a restart: the schema is current, the weights are kept
    assert again == {"ready": [], "started": [], "warm": [], "recognizer": True}
