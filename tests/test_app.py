"""The process as a person starts it: `python app.py`, its errors, and a kill -9."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import aiohttp
import pytest

from tests.webclient import WebUser, texts

ROOT = Path(__file__).resolve().parent.parent
BROKEN = ROOT / "tests" / "playbooks_broken"


def run_app(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "app.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_validate_reports_each_broken_file_without_a_traceback() -> None:
    result = run_app("validate", str(BROKEN / "bad-duration.yaml"), "playbooks")
    assert result.returncode == 1
    assert "bad-duration.yaml:" in result.stdout and "is not a duration" in result.stdout
    assert "ok: playbooks/paid-fraudster.yaml" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"PORT": "abc"}, "PORT must be a number"),
        ({"HOST": "0.0.0.0"}, "add sign_in to the organisation config"),
        ({"WEB_ACCESS_TOKEN": "x"}, "WEB_ACCESS_TOKEN is no longer used"),
        ({"ORGANISATION_FILE": "/nonexistent/organisation.yaml"}, "cannot read"),
        ({"PLAYBOOKS_DIR": str(BROKEN)}, "playbooks_broken"),
        ({"DATABASE_URL": "mysql://nobody@127.0.0.1/x"}, "which Noodrem cannot use"),
    ],
)
def test_a_wrong_setting_stops_the_start_with_one_line(env: dict[str, str], said: str) -> None:
    result = run_app(env={"PORT": str(free_port()), **env})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Noodrem cannot start:"), result.stderr
    assert said in lines[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server_env(database_url: str) -> Iterator[dict[str, str]]:
    yield {
        "DATABASE_URL": database_url,
        "PORT": str(free_port()),
        "ORGANISATION_FILE": str(ROOT / "tests" / "fixtures" / "organisation.yaml"),
    }


def start(
    env: dict[str, str], *, stderr: int | IO[bytes] = subprocess.DEVNULL
) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", int(env["PORT"])), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("Noodrem did not start")


async def test_kill_9_in_the_middle_loses_nothing(server_env: dict[str, str]) -> None:
    url = f"http://127.0.0.1:{server_env['PORT']}"
    process = start(server_env)
    try:
        async with aiohttp.ClientSession() as http:
            jan = WebUser(http, url, "Jan")
            await jan.say("ik denk dat we een oplichter hebben betaald")
            opened = await jan.press("Ja")
            incident = next(m["incident_id"] for m in opened if m.get("incident_id"))
            await jan.say("€ 8.000")
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)

            process = start(server_env)
            history = WebUser(http, url, "Jan", user_id=jan.user_id)
            await history.inbox()
            assert "Genoteerd: € 8.000,00" in texts(history.history), "the history is kept"
            noted = await history.say("gisteren 16:00")  # answers the question before the kill
            assert "Vraag 3 van 7" in texts(noted)
            status = await history.say("status")
            assert incident in texts(status) and "€ 8.000,00" in texts(status)
    finally:
        process.kill()
        process.wait(timeout=10)


def workers_of(pid: int) -> list[int]:
    """The multiprocessing workers ``pid`` started (its children that run ``spawn_main``;
    not the resource tracker, which ends on its own once its parent is gone)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            child = f"PPid:\t{pid}" in status.read_text().splitlines()
            command = (status.parent / "cmdline").read_bytes()
        except OSError:
            continue  # gone meanwhile
        if child and b"spawn_main" in command:
            found.append(int(status.parent.name))
    return found


def running(pid: int) -> bool:
    try:
        state = next(
            line
            for line in Path(f"/proc/{pid}/status").read_text().splitlines()
            if line.startswith("State:")
        )
    except (OSError, StopIteration):
        return False
    return "Z" not in state.split()[1]


async def test_sigterm_stops_the_server_cleanly_with_its_drawing_worker(
    server_env: dict[str, str], tmp_path: Path
) -> None:
    """``docker stop`` sends SIGTERM: the app's cleanup runs (the store closed, the worker
    that drew an export stopped), the exit is 0, and nothing is left running or leaked."""
    url = f"http://127.0.0.1:{server_env['PORT']}"
    with (tmp_path / "stderr").open("wb") as log:
        process = start(server_env, stderr=log)
        try:
            async with aiohttp.ClientSession() as http:
                jan = WebUser(http, url, "Jan")
                await jan.say("ik denk dat we een oplichter hebben betaald")
                await jan.press("Ja")
                exported = await jan.say("export")
                assert any(m.get("attachment") for m in exported), "the worker drew the file"
            workers = workers_of(process.pid)
            assert workers, "the export started a worker process"
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
        finally:
            process.kill()
    said = (tmp_path / "stderr").read_text()
    assert "stopping (SIGTERM)" in said
    assert "leaked" not in said and "Traceback" not in said, said[-2000:]
    # The cleanup waited for the worker: it is gone, not about to go.
    assert not any(running(pid) for pid in workers), "a worker outlived the server"


def test_a_broken_playbook_found_after_listening_stops_the_process_never_ready(
    database_url: str,
) -> None:
    """``python app.py`` listens before it reads the playbooks: with a broken one it may
    answer /healthz a moment, but /readyz never says ready and the process exits 2."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": database_url,
            "PORT": str(port),
            "PLAYBOOKS_DIR": str(BROKEN),
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    ready: list[int] = []
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as response:
                ready.append(response.status)
        except urllib.error.HTTPError as exc:
            assert exc.code == 503
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.01)  # polling a child process: there is no event to wait on
    try:
        _, err = process.communicate(timeout=10)
    finally:
        process.kill()  # still serving after a failed start: the test fails, nothing is left
    assert process.returncode == 2, err
    assert ready == [], "said ready with a broken playbook"
    assert err.strip().startswith("Noodrem cannot start:") and "playbooks_broken" in err
