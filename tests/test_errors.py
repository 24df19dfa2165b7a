"""One exception tree: every error Noodrem defines derives from ``NoodremError``, and the
one table in ``bot.errors`` says what each becomes for the command line and for HTTP."""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import bot
import storage
from bot.channels.untrusted import Malformed
from bot.config import SettingsError
from bot.errors import ExitCode, NoodremError, outcome
from bot.evidence import EvidenceError
from bot.evidence.source import UnknownIncident
from bot.flows.turn import FlowError
from bot.messages import ActionTooLong, Reply, ReplyKind
from storage import StoreError

ROOT = Path(__file__).resolve().parent.parent


def _modules() -> list[str]:
    names = ["app"]
    for package in (bot, storage):
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
            # Alembic's env.py runs a migration when imported; __main__ runs a command.
            if info.name.startswith("storage.migrations") or info.name.endswith("__main__"):
                continue
            names.append(info.name)
    return names


def test_every_exception_defined_in_bot_storage_and_app_derives_from_the_root() -> None:
    defined: list[type[BaseException]] = []
    for name in _modules():
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseException) and cls.__module__ == module.__name__:
                defined.append(cls)
    assert len(defined) >= 17  # the walk found the modules (each of the old roots at least)
    strays = [
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in defined
        if not issubclass(cls, NoodremError)
    ]
    assert strays == []


@pytest.mark.parametrize(
    ("error", "exit_code", "status"),
    [
        (UnknownIncident("there is no incident NR-ZZZZZZ"), ExitCode.NO, 404),
        (Malformed("body is not UTF-8"), ExitCode.CANNOT_RUN, 400),
        (FlowError(Reply(kind=ReplyKind.ERROR, text="no")), ExitCode.NO, 403),
        (SettingsError("PORT must be a number"), ExitCode.CANNOT_RUN, 500),
        (StoreError("there is no database"), ExitCode.CANNOT_RUN, 503),
        (EvidenceError("no fonts"), ExitCode.CANNOT_RUN, 500),
        (ActionTooLong("too long"), ExitCode.CANNOT_RUN, 500),
    ],
)
def test_the_table_maps_each_branch(error: NoodremError, exit_code: ExitCode, status: int) -> None:
    assert (outcome(error).exit_code, outcome(error).http_status) == (exit_code, status)
    assert outcome(error).shown is (status < 500)


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "app.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
    )


@pytest.mark.parametrize("command", [["export", "NR-ZZZZZZ"], ["register"]])
@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"PORT": "eighty"}, "PORT"),
        ({"PLAYBOOKS_DIR": str(ROOT / "tests" / "playbooks_broken")}, "playbooks_broken"),
    ],
)
def test_a_command_with_a_broken_config_exits_2_with_one_line(
    command: list[str], env: dict[str, str], said: str, tmp_path: Path
) -> None:
    result = _run(*command, DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'n.db'}", **env)
    assert result.returncode == ExitCode.CANNOT_RUN
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and said in lines[0], result.stderr
    assert not (tmp_path / "n.db").exists()  # it stopped before it opened the store
